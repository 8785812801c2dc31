/**
 * A hue per server (by its position in the open set), spread by the golden angle so neighbours
 * differ; the server column's chip and the timeline's server track share it.
 */
export function serverHue(trace: number): number {
  return Math.round((200 + trace * 137.508) % 360);
}
