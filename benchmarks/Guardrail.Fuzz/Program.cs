using Guardrail.Fuzz;
using SharpFuzz;

// Usage: Guardrail.Fuzz TARGET            run under afl-fuzz (benchmarks/fuzz.sh), or once on stdin outside it
//        Guardrail.Fuzz TARGET FILE...    run each file once, in process (reproducing a finding)
//        Guardrail.Fuzz write-gguf-seeds DIR  write the gguf seed corpus
if (args is ["write-gguf-seeds", var seedDirectory])
{
    GgufSeeds.Write(seedDirectory);
    return 0;
}

if (args.Length == 0 || FuzzTargets.Find(args[0]) is not { } target)
{
    Console.Error.WriteLine($"usage: Guardrail.Fuzz TARGET [FILE...]; targets: {string.Join(", ", FuzzTargets.Names)}");
    return 2;
}

if (args.Length > 1)
{
    foreach (var file in args.Skip(1))
    {
        target(File.ReadAllBytes(file));
        Console.WriteLine($"{file}: ok");
    }

    return 0;
}

// Out of process: a stack overflow or a fatal error in the target is reported to afl as a crash rather than taking
// the fork server down with it.
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;
