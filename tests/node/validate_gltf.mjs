// Validates .glb files with Khronos' glTF-Validator and prints the validator's own reports
// as one JSON object keyed by path (issues.numErrors/numWarnings/messages, info).
// Usage: node validate_gltf.mjs FILE.glb [FILE.glb ...]
import { readFile } from "node:fs/promises";
import validator from "gltf-validator";

const reports = {};
for (const path of process.argv.slice(2)) {
  const bytes = new Uint8Array(await readFile(path));
  reports[path] = await validator.validateBytes(bytes, {
    maxIssues: 1000,
    externalResourceFunction: () => Promise.reject(new Error("no external resources")),
  });
}
process.stdout.write(JSON.stringify(reports));
