using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Native;

namespace Guardrail.LlamaCpp.Tests.Native;

/// <summary>
/// Compiles a C program against the installed llama.h and compares the size and every field offset of each mirrored
/// struct, and the bytes of each default-parameter struct, with the C# mirrors. A struct that drifts from the header
/// fails here instead of corrupting memory at run time.
/// </summary>
public sealed class NativeLayoutTests : IClassFixture<NativeLayoutTests.CProgram>
{
    private static readonly (Type Type, string CName)[] Mirrors =
    [
        (typeof(LlamaModelParams), "llama_model_params"),
        (typeof(LlamaContextParams), "llama_context_params"),
        (typeof(LlamaNativeBatch), "llama_batch"),
        (typeof(LlamaModelQuantizeParams), "llama_model_quantize_params"),
        (typeof(LlamaPerfContextData), "llama_perf_context_data"),
        (typeof(LlamaSamplerChainParams), "llama_sampler_chain_params"),
    ];

    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(5);

    private readonly CProgram _c;

    public NativeLayoutTests(CProgram c) => _c = c;

    public static TheoryData<string> MirrorNames() => new(Mirrors.Select(m => m.CName));

    [Theory]
    [MemberData(nameof(MirrorNames))]
    public void Layout_MirroredStruct_MatchesHeaderSizeAndOffsets(string cName)
    {
        var type = Mirrors.Single(m => m.CName == cName).Type;

        Assert.Equal(_c.Values[$"sizeof {cName}"], SizeOf(type).ToString(CultureInfo.InvariantCulture));
        foreach (var field in Fields(type))
        {
            Assert.Equal(
                _c.Values[$"offsetof {cName}.{field.Name}"],
                Marshal.OffsetOf(type, field.Name).ToString(CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Layout_EveryFieldOfEveryMirror_IsCheckedByTheCProgram()
    {
        var expected = Mirrors.SelectMany(m => Fields(m.Type).Select(f => $"offsetof {m.CName}.{f.Name}"));

        Assert.All(expected, key => Assert.True(_c.Values.ContainsKey(key), key));
    }

    [Theory]
    [MemberData(nameof(MirrorNames))]
    public void Layout_MirroredStruct_HasEveryHeaderFieldInOrder(string cName)
    {
        // Offsets alone miss a field that the C struct gained in its tail padding; the header text does not.
        var header = File.ReadAllText(Path.Combine(TestAssets.IncludeDirectory, "llama.h"));
        var open = Regex.Match(header, $@"(typedef\s+)?struct\s+{cName}\s*\{{", RegexOptions.None, RegexTimeout);
        Assert.True(open.Success, $"struct {cName} not found in llama.h");
        var body = header[(open.Index + open.Length)..header.IndexOf('}', open.Index + open.Length)];
        var cFields = body.Split('\n')
            .Select(line => Regex.Replace(line, "//.*$", string.Empty, RegexOptions.None, RegexTimeout).Trim())
            .Where(line => line.EndsWith(';'))
            .Select(line => Regex.Match(line, @"(?<name>\w+)\s*;$", RegexOptions.None, RegexTimeout).Groups["name"].Value)
            .ToArray();

        Assert.Equal(cFields, Fields(Mirrors.Single(m => m.CName == cName).Type).Select(f => f.Name));
    }

    [Fact]
    public void Defaults_ModelParams_EqualCDefaults()
    {
        NativeTestRuntime.EnsureInitialized();

        AssertFieldBytesEqual("llama_model_params", LlamaNative.llama_model_default_params());
    }

    [Fact]
    public void Defaults_ContextParams_EqualCDefaults()
    {
        NativeTestRuntime.EnsureInitialized();

        AssertFieldBytesEqual("llama_context_params", LlamaNative.llama_context_default_params());
    }

    [Fact]
    public void Defaults_QuantizeParams_EqualCDefaults()
    {
        NativeTestRuntime.EnsureInitialized();

        AssertFieldBytesEqual("llama_model_quantize_params", LlamaNative.llama_model_quantize_default_params());
    }

    [Fact]
    public void Defaults_ContextParams_HaveExpectedKnownValues()
    {
        NativeTestRuntime.EnsureInitialized();

        var p = LlamaNative.llama_context_default_params();

        // Spot values from llama.cpp's documentation, so that a byte-equal but misread struct still fails.
        Assert.Equal(2048u, p.n_batch);
        Assert.Equal(1u, p.n_seq_max);
        Assert.Equal(GgmlType.F16, p.type_k);
        Assert.True(p.offload_kqv);
    }

    private unsafe void AssertFieldBytesEqual<T>(string cName, T value)
        where T : unmanaged
    {
        var bytes = new ReadOnlySpan<byte>(&value, sizeof(T));
        foreach (var field in Fields(typeof(T)))
        {
            var offset = (int)Marshal.OffsetOf<T>(field.Name);
            var size = int.Parse(_c.Values[$"sizeof {cName}.{field.Name}"], CultureInfo.InvariantCulture);
            Assert.True(
                _c.Values[$"default {cName}.{field.Name}"] == Convert.ToHexString(bytes.Slice(offset, size)),
                $"{cName}.{field.Name}: C default {_c.Values[$"default {cName}.{field.Name}"]}, C# read {Convert.ToHexString(bytes.Slice(offset, size))}");
        }
    }

    private static FieldInfo[] Fields(Type type) =>
        type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).OrderBy(f => Marshal.OffsetOf(type, f.Name)).ToArray();

    private static int SizeOf(Type type) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;

    /// <summary>Writes, compiles (gcc) and runs the C side once per test class.</summary>
    public sealed class CProgram : IDisposable
    {
        private readonly TempDirectory _temp = new();

        public CProgram()
        {
            var source = new StringBuilder();
            source.AppendLine("#include <stdio.h>\n#include <stddef.h>\n#include \"llama.h\"");
            source.AppendLine("static void hex(const char *k, const void *p, size_t n) { const unsigned char *b = p; printf(\"%s=\", k); for (size_t i = 0; i < n; i++) printf(\"%02X\", b[i]); printf(\"\\n\"); }");
            source.AppendLine("int main(void) {");
            foreach (var (type, cName) in Mirrors)
            {
                var cType = cName == "llama_batch" ? "llama_batch" : "struct " + cName;
                source.AppendLine(CultureInfo.InvariantCulture, $"  printf(\"sizeof {cName}=%zu\\n\", sizeof({cType}));");
                foreach (var field in Fields(type))
                {
                    source.AppendLine(CultureInfo.InvariantCulture, $"  printf(\"offsetof {cName}.{field.Name}=%zu\\n\", offsetof({cType}, {field.Name}));");
                    source.AppendLine(CultureInfo.InvariantCulture, $"  printf(\"sizeof {cName}.{field.Name}=%zu\\n\", sizeof((({cType}*)0)->{field.Name}));");
                }
            }

            foreach (var (cName, call) in new[]
            {
                ("llama_model_params", "llama_model_default_params()"),
                ("llama_context_params", "llama_context_default_params()"),
                ("llama_model_quantize_params", "llama_model_quantize_default_params()"),
            })
            {
                var type = Mirrors.Single(m => m.CName == cName).Type;
                source.AppendLine(CultureInfo.InvariantCulture, $"  {{ struct {cName} d = {call};");
                foreach (var field in Fields(type))
                {
                    source.AppendLine(CultureInfo.InvariantCulture, $"    hex(\"default {cName}.{field.Name}\", &d.{field.Name}, sizeof(d.{field.Name}));");
                }

                source.AppendLine("  }");
            }

            source.AppendLine("  return 0;\n}");
            var cFile = _temp.File("layout.c");
            File.WriteAllText(cFile, source.ToString());
            var exe = _temp.File("layout");
            var runtime = TestAssets.CpuRuntimeDirectory;
            Run("gcc", ["-std=c11", "-w", "-I", TestAssets.IncludeDirectory, cFile, "-o", exe, "-L", runtime, "-l:" + Path.GetFileName(NativeLibraryResolver.FindFile(runtime, LlamaNative.Library) ?? NativeLibraryResolver.LlamaFile), "-Wl,-rpath," + runtime]);
            Values = Run(exe, [])
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split('=', 2))
                .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal);
        }

        public IReadOnlyDictionary<string, string> Values { get; }

        public void Dispose() => _temp.Dispose();

        private static string Run(string file, string[] args)
        {
            var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} failed with exit code {process.ExitCode}: {stderr.Result}");
            }

            return stdout;
        }
    }
}
