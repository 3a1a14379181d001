// Test helper: the parts of a training report's HTML the tests look at, found with regular expressions
// (the report's own markup is regular: sections do not nest, each line mark is one <path>).
import * as zlib from "node:zlib";

/** Each `<section id=…>`'s inner HTML by id. */
export function sections(html: string): Map<string, string> {
  return new Map([...html.matchAll(/<section id="([^"]+)"[^>]*>([\s\S]*?)<\/section>/g)].map((m) => [m[1]!, m[2]!]));
}

/** The line marks of the SVGs in `html`: each path's series label and its number of points (M/L commands). */
export function lineMarks(html: string): { label: string; points: number }[] {
  return [...html.matchAll(/<path aria-label="([^"]*)"[^>]*aria-roledescription="line mark" d="([^"]*)"/g)].map((m) => ({ label: m[1]!, points: (m[2]!.match(/[ML]/g) ?? []).length }));
}

/** The series name a line mark's aria-label ends with (`…; series: train loss`), or "" for a chart of one series. */
export function seriesOf(label: string): string {
  return /series: ([^;]+)$/.exec(label)?.[1] ?? "";
}

/** References to anything outside the file: script sources, links, URLs other than SVG's XML namespaces. */
export function externalReferences(html: string): string[] {
  const withoutNamespaces = html.replace(/xmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, "");
  return [...withoutNamespaces.matchAll(/<script[^>]*src|<link[^>]*href|https?:\/\/[^\s"'<>)]*|url\((?!#)[^)]*\)|src="(?!data:)[^"]*"/g)].map((m) => m[0]);
}

/** Decodes a PNG as runtime/report/png.ts writes them (8-bit gray or RGB, filter 0 on every row). */
export function decodePng(bytes: Buffer): { width: number; height: number; channels: number; pixels: Uint8Array } {
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (at < bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString("ascii", at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      channels = data[9] === 0 ? 1 : data[9] === 2 ? 3 : NaN;
    }
    if (type === "IDAT") idat.push(data);
    at += 12 + length;
  }
  const rows = zlib.inflateSync(Buffer.concat(idat));
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    if (rows[y * (1 + width * channels)] !== 0) throw new Error(`row ${y} uses filter ${rows[y * (1 + width * channels)]}`);
    pixels.set(rows.subarray(y * (1 + width * channels) + 1, (y + 1) * (1 + width * channels)), y * width * channels);
  }
  return { width, height, channels, pixels };
}
