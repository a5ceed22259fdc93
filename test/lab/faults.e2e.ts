// The fault matrix (issue 11), part 1: the dev site through the lab (real program, real dynamic-provider
// host) against a fake Portainer each row owns, with one transient fault per row (5xx bursts, 429s, resets
// before and after the handler ran, i.e. lost answers, 40 s stalls, a restart) or the lab killed mid-run.
// For each row it proves: the site converges within the row's number of runs (at most 2, counted once the
// fault is over, that is once every request the fake received has been answered); what remains is exactly
// the desired site, with no duplicate or orphaned object of any kind; and no secret appears in any output
// or in plain text in the state. Figures are printed at the end (README, "Reliability").
// Does not prove: a real Portainer's or Proxmox's behaviour (the lab simulates Proxmox and Docker).
import { runRow, setUpMatrix, TRANSIENT_ROWS } from "./faultMatrix";

jest.setTimeout(240_000);
setUpMatrix("fault matrix, part 1");

describe("the fault matrix: every transient fault converges", () => {
  it.each(TRANSIENT_ROWS)("%s", runRow);
});
