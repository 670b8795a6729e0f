// Generates from the exact prompt tokens `guardrail bench generate --export-prompt` wrote, the same number of tokens
// per request, greedily, and reports aggregate tokens per second and time to first token per concurrency level:
// once with node-llama-cpp's default context (one sequence: requests wait for each other), once with one sequence per
// client (node-llama-cpp batches the sequences of one context itself).
// Usage: node generate-bench.mjs <model.gguf> <prompt.json> [levels] [tokens] [threads]
import { readFileSync } from "node:fs";
import { getLlama } from "node-llama-cpp";

const [modelPath, promptPath, levelsArg = "1,4,16", tokensArg = "128", threadsArg = "2"] = process.argv.slice(2);
if (!modelPath || !promptPath) {
    console.error("usage: node generate-bench.mjs <model.gguf> <prompt.json> [levels] [tokens] [threads]");
    process.exit(2);
}

const prompt = JSON.parse(readFileSync(promptPath, "utf8"));
const levels = levelsArg.split(",").map(Number);
const tokens = Number(tokensArg);
const threads = Number(threadsArg) || undefined;
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const median = (sorted) => sorted[Math.max(0, Math.ceil(0.5 * sorted.length) - 1)];

// One request on one sequence: evaluate the prompt, then pull `count` greedy tokens (end-of-generation tokens are
// not special here, so every request generates exactly `count`, as on the C# side when the model does not stop).
async function generate(sequence, count, started) {
    let first = 0;
    let n = 0;
    for await (const _ of sequence.evaluate(prompt, { temperature: 0 })) {
        if (n === 0) first = performance.now() - started;
        if (++n >= count) break;
    }
    await sequence.clearHistory();
    return { first, n };
}

console.log(`model: ${modelPath}; node-llama-cpp 3.22.1; threads: ${threads ?? "all"}; prompt: ${prompt.length} tokens; completion: ${tokens} tokens per request`);
console.log("mode | concurrency | tokens generated | wall s | tokens/s (aggregate) | TTFT p50 ms | TTFT max ms");
console.log("---|---|---|---|---|---|---");
for (const [mode, sequencesFor] of [["one sequence (default)", () => 1], ["one sequence per client", (level) => level]]) {
    for (const level of levels) {
        const sequenceCount = sequencesFor(level);
        const context = await model.createContext({ contextSize: sequenceCount * (prompt.length + tokens + 8), sequences: sequenceCount, batchSize: 512, threads });
        const sequences = Array.from({ length: sequenceCount }, () => context.getSequence());
        await generate(sequences[0], 4, performance.now());

        const started = performance.now();
        let next = 0;
        const results = [];
        // `level` clients all start now; with fewer sequences than clients, a client waits for a free one.
        await Promise.all(sequences.map(async (sequence) => {
            while (next < level) {
                next++;
                results.push(await generate(sequence, tokens, started));
            }
        }));
        const wall = (performance.now() - started) / 1000;
        const firsts = results.map((r) => r.first).sort((a, b) => a - b);
        const generated = results.reduce((sum, r) => sum + r.n, 0);
        console.log(`${mode} | ${level} | ${generated} | ${wall.toFixed(2)} | ${(generated / wall).toFixed(2)} | ${median(firsts).toFixed(0)} | ${firsts[firsts.length - 1].toFixed(0)}`);
        await context.dispose();
    }
}

await model.dispose();
