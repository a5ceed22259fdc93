/**
 * Starts the slowest test files first. Jest orders by past durations, but a clean clone (CI) has none:
 * a slow file could then start last and stretch the run. The lab's end-to-end files (`npm run test:lab`) lead that run.
 */
const Sequencer = require("@jest/test-sequencer").default;

const SLOW_FIRST = [
  "test/lab/faults.e2e.ts",
  "test/lab/faultsDrift.e2e.ts",
  "test/lab/lab.e2e.ts",
  "test/lab/proxmoxLab.e2e.ts",
  "test/providers/portainer/serialization.test.ts",
  "test/providers/portainer/providerHost.test.ts",
  "test/index.test.ts",
  "test/components/site.test.ts",
  "test/lab/engine.test.ts",
];

class SlowFirst extends Sequencer {
  sort(tests) {
    const rank = (t) => {
      const i = SLOW_FIRST.findIndex((s) => t.path.endsWith(s));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    return [...super.sort(tests)].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowFirst;
