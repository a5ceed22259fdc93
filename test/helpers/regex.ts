/** One regular expression from several literals, so that long patterns stay readable: the first one's flags. */
export function joined(...parts: RegExp[]): RegExp {
  return new RegExp(parts.map((p) => p.source).join(""), parts[0]?.flags);
}
