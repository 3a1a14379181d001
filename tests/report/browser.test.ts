// The report in a real browser (Debian's chromium driven by playwright-core): a conv net on small images
// with every plot monitored. Each plot's SVG must be laid out with a non-zero size and draw a line of many
// points, the weight picture must decode, and opening the file must request nothing beyond the file itself
// (no network, no scripts). A full-page screenshot is saved under .tmp/ for a person to look at.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { chromium } from "playwright-core";
import { compileProgram } from "../../compiler/compile.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { encodeNpy } from "../../runtime/data/npy.js";
import { trainWithReport } from "../../runtime/report/report.js";

const CHROMIUM = "/usr/bin/chromium";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-report-browser-"));
afterAll(() => fs.rmSync(dir, { recursive: true }));

// .ci/run installs chromium; without it (a developer's machine) the test says so and is skipped.
describe.skipIf(!fs.existsSync(CHROMIUM))("the report in chromium", () => {
  it("lays out every plot, draws its lines and the weights, and fetches nothing", async () => {
    const count = 80;
    const pixels = Array.from({ length: count * 36 }, (_, k) => {
      const i = Math.floor(k / 36), x = k % 6, y = Math.floor((k % 36) / 6);
      // Class 1: a bright left half; class 0: a bright top half; plus a deterministic texture.
      return ((i % 2 === 1 ? (x < 3 ? 160 : 40) : y < 3 ? 160 : 40) + ((k * 37) % 50)) & 0xff;
    });
    fs.writeFileSync(path.join(dir, "x.npy"), encodeNpy(pixels, [count, 1, 6, 6], "|u1"));
    fs.writeFileSync(path.join(dir, "y.npy"), encodeNpy(Array.from({ length: count }, (_, i) => i % 2), [count], "<i8"));
    const text = `model TinyConv(x: f32[N, 1, 6, 6]) -> f32[N, 2] {\n  return x |> conv2d(8, kernel: 3, padding: 1) |> relu |> maxpool(2) |> flatten |> dense(2)\n}\ntrain {\n  data = npy(x: "x.npy", y: "y.npy", scale: 1/255) |> split(val: 0.25) |> standardize(per: channel)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.05, momentum: 0.9)\n  schedule = cosine()\n  epochs 10\n  batch 12\n  seed 2\n  log_every 2 steps\n  monitor [train_loss, val_loss, train_accuracy, val_accuracy, update_ratio, grad_norm]\n}\n`;
    const compiled = compileProgram(text, path.join(dir, "tiny.dl"));
    expect(compiled.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
    const program = compiled.program!;
    const file = path.join(dir, "report.html");
    await trainWithReport(program, cpuBackend(program), {}, { path: file, diagnostics: compiled.diagnostics });

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const requested: string[] = [];
      page.on("request", (r) => requested.push(r.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
      const plots = await page.evaluate(() =>
        [...document.querySelectorAll("section.chart")].map((section) => {
          const svg = section.querySelector("svg");
          const box = svg?.getBoundingClientRect();
          const lines = [...section.querySelectorAll('path[aria-roledescription="line mark"]')].map((p) => (p.getAttribute("d")?.match(/[ML]/g) ?? []).length);
          // The drawn extent of the longest line: a path squeezed to nothing would be a rendering failure.
          const longest = [...section.querySelectorAll<SVGPathElement>('path[aria-roledescription="line mark"]')].sort((a, b) => b.getTotalLength() - a.getTotalLength())[0];
          const lineBox = longest?.getBBox();
          return { id: section.id, width: box?.width ?? 0, height: box?.height ?? 0, points: Math.max(0, ...lines), lineWidth: lineBox?.width ?? 0 };
        }),
      );
      expect(plots.map((p) => p.id)).toEqual(["loss-epoch", "loss-step", "accuracy", "accuracy-gap", "lr", "update-ratio", "grad-norm"]);
      for (const plot of plots) {
        expect(plot.width, plot.id).toBeGreaterThan(300);
        expect(plot.height, plot.id).toBeGreaterThan(150);
        // 10 epochs, 50 steps, 25 logged steps.
        expect(plot.points, plot.id).toBeGreaterThanOrEqual(10);
        expect(plot.lineWidth, plot.id).toBeGreaterThan(100);
      }
      const image = await page.evaluate(() => {
        const img = document.querySelector<HTMLImageElement>("#weights img");
        return img ? { complete: img.complete, width: img.naturalWidth, height: img.naturalHeight } : undefined;
      });
      expect(image?.complete).toBe(true);
      expect(image!.width).toBeGreaterThan(50);
      expect(requested.filter((url) => url !== pathToFileURL(file).href && !url.startsWith("data:"))).toEqual([]);
      const screenshot = path.resolve(".tmp", "report-screenshot.png");
      fs.mkdirSync(path.dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
      fs.copyFileSync(file, path.resolve(".tmp", "report-sample.html"));
      console.log(`screenshot: ${screenshot}`);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
