// Evaluates each Llama Guard prompt whole, as a node-llama-cpp user would, and reports checks per second and
// latency per concurrency level. Reads the exact prompt tokens `guardrail bench classify --export-prompts` wrote,
// so both engines decode identical tokens. Usage: node classify-bench.mjs <model.gguf> <prompts.jsonl> [1,4,16] [threads]
import { readFileSync } from "node:fs";
import { getLlama } from "node-llama-cpp";

const [modelPath, promptsPath, levelsArg = "1,4,16", threadsArg = "0"] = process.argv.slice(2);
if (!modelPath || !promptsPath) {
    console.error("usage: node classify-bench.mjs <model.gguf> <prompts.jsonl> [levels] [threads]");
    process.exit(2);
}

const prompts = readFileSync(promptsPath, "utf8").trim().split("\n").map((line) => JSON.parse(line));
const levels = levelsArg.split(",").map(Number);
const threads = Number(threadsArg) || undefined;
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const longest = Math.max(...prompts.map((p) => p.length));

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];

console.log(`model: ${modelPath}; node-llama-cpp 3.22.1; prompts: ${prompts.length}; longest prompt: ${longest} tokens`);
console.log("concurrency | checks/s | p50 ms | p99 ms | wall s");
console.log("---|---|---|---|---");
for (const level of levels) {
    const context = await model.createContext({ contextSize: level * (longest + 64), sequences: level, batchSize: 512, threads });
    const sequences = Array.from({ length: level }, () => context.getSequence());
    // One check before measuring, as the C# benchmark does.
    await sequences[0].controlledEvaluate(prompts[0].map((t, j) => (j === prompts[0].length - 1 ? [t, { generateNext: { token: true } }] : t)));
    await sequences[0].clearHistory();

    const latencies = new Array(prompts.length);
    let next = 0;
    const started = performance.now();
    await Promise.all(sequences.map(async (sequence) => {
        for (let i = next++; i < prompts.length; i = next++) {
            const t0 = performance.now();
            const tokens = prompts[i];
            await sequence.clearHistory();
            await sequence.controlledEvaluate(tokens.map((t, j) => (j === tokens.length - 1 ? [t, { generateNext: { token: true } }] : t)));
            latencies[i] = performance.now() - t0;
        }
    }));
    const wall = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(`${level} | ${(prompts.length / wall).toFixed(2)} | ${percentile(latencies, 0.5).toFixed(1)} | ${percentile(latencies, 0.99).toFixed(1)} | ${wall.toFixed(2)}`);
    await context.dispose();
}

await model.dispose();
