using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Guardrail.Testing;

/// <summary>A real PostgreSQL server from Debian's <c>postgresql</c> package, in a temporary directory on a free
/// loopback port: <c>initdb</c>, then <c>pg_ctl start</c>. Run as the <c>postgres</c> user when the tests run as root
/// (PostgreSQL refuses to run as root). Trust authentication on loopback for the test user <c>guardrail</c>.</summary>
/// <remarks><see cref="SharedAsync"/> is the one server of a test run, stopped when the test process exits; a test
/// that stops and starts its server (<see cref="StopAsync"/>, <see cref="StartAsync()"/>) takes its own from
/// <see cref="CreateAsync"/>. Each test class asks for fresh databases (<see cref="CreateDatabaseAsync"/>).</remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Names a directory holding <c>initdb</c> and <c>pg_ctl</c>, overriding the search under
    /// <c>/usr/lib/postgresql/*/bin</c>.</summary>
    public const string BinariesVariable = "GUARDRAIL_POSTGRES_BIN";

    private const string User = "guardrail";
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromMinutes(3);
    private static readonly Lazy<Task<PostgresServer>> Shared = new(CreateSharedAsync);

    private readonly TempDirectory _directory;
    private readonly string _binaries;
    private readonly bool _asPostgresUser;

    private PostgresServer(TempDirectory directory, string binaries, int port)
    {
        _directory = directory;
        _binaries = binaries;
        _asPostgresUser = Environment.UserName == "root";
        Port = port;
    }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The server's data directory.</summary>
    public string DataDirectory => _directory.File("data");

    /// <summary>Connection string of the administrative database <c>postgres</c>.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    /// <summary>The run's shared server, started on first use.</summary>
    public static Task<PostgresServer> SharedAsync() => Shared.Value;

    /// <summary>Initialises and starts a server of the caller's own.</summary>
    public static async Task<PostgresServer> CreateAsync()
    {
        var binaries = FindBinaries();
        var directory = new TempDirectory();
        var server = new PostgresServer(directory, binaries, FreePort());
        try
        {
            Directory.CreateDirectory(server.DataDirectory);
            if (server._asPostgresUser)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", directory.Path]);
            }

            await server.RunPostgresAsync("initdb", ["-D", server.DataDirectory, "-U", User, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
            await server.StartAsync();
            return server;
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Connection string of database <paramref name="database"/> on this server.</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = User,
        Database = database,
    }.ConnectionString;

    /// <summary>Creates an empty database with a fresh name; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "audit_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name};", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Starts the (stopped) server on its port and waits until it accepts connections.</summary>
    public Task StartAsync() => RunPostgresAsync("pg_ctl", [
        "-D", DataDirectory, "-l", _directory.File("server.log"), "-w", "-t", "180",
        "-o", string.Create(CultureInfo.InvariantCulture, $"-p {Port} -k {_directory.Path} -c listen_addresses=127.0.0.1 -c max_connections=300"),
        "start",
    ]);

    /// <summary>Stops the server at once (fast shutdown: sessions are ended, nothing committed is lost).</summary>
    public Task StopAsync() => RunPostgresAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "180", "stop"]);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        _directory.Dispose();
    }

    private static async Task<PostgresServer> CreateSharedAsync()
    {
        var server = await CreateAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }

    private static string FindBinaries()
    {
        if (Environment.GetEnvironmentVariable(BinariesVariable) is { Length: > 0 } configured)
        {
            return configured;
        }

        var found = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(version => Path.Combine(version, "bin"))
                .Where(bin => File.Exists(Path.Combine(bin, "initdb")))
                .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), CultureInfo.InvariantCulture, out var major) ? major : 0)
                .FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException(
            "PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/initdb. Install Debian's postgresql package " +
            $"(scripts/test.sh does) or set {BinariesVariable}.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task RunPostgresAsync(string program, string[] arguments) =>
        _asPostgresUser
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_binaries, program), .. arguments])
            : RunAsync(Path.Combine(_binaries, program), arguments);

    private static async Task RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The server must not hold the test host's pipes open, or reading them would wait for the server to exit.
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        using var deadline = new CancellationTokenSource(CommandDeadline);
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}{await output}");
        }
    }
}
