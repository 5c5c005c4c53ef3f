using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace AgentLedger.Sqlite;

/// <summary>
/// Direct entry points into the SQLite library SQLitePCLRaw has loaded, for the calls made per row and per bound
/// value. Through SQLitePCLRaw each call passes a SafeHandle (two interlocked operations), an interface dispatch
/// and a GC transition; measured, that is most of the cost of a column read. Here a call is a plain native call,
/// and the ones that only read or copy memory also skip the GC transition (<see cref="SuppressGCTransitionAttribute"/>),
/// which is only allowed for calls that never block or call back: so <c>sqlite3_step</c>, which can wait on a lock
/// or the disk, keeps its transition.
/// </summary>
/// <remarks>
/// Used only when SQLitePCLRaw's provider is the bundled <c>e_sqlite3</c> (Microsoft.Data.Sqlite's default), and
/// resolved through that provider's own assembly so both reach the same loaded library: handles are only ever
/// passed to the library that made them. Any other provider (a system SQLite, SQLCipher) keeps the SQLitePCLRaw
/// calls, with the same results.
/// </remarks>
internal static unsafe partial class SqliteNative
{
    private const string Library = "e_sqlite3";

    /// <summary>SQLite's "copy the value before returning" destructor for bound text.</summary>
    public static readonly nint Transient = -1;

    /// <summary>Whether the direct entry points are usable (decided once, on first use).</summary>
    public static bool Available { get; } = Probe();

    private static bool Probe()
    {
        // Microsoft.Data.Sqlite sets SQLitePCLRaw's provider (the bundle) in SqliteConnection's type initializer.
        RuntimeHelpers.RunClassConstructor(typeof(SqliteConnection).TypeHandle);
        if (Environment.GetEnvironmentVariable("AGENTLEDGER_SQLITE_DIRECT") == "0" || raw.GetNativeLibraryName() != Library)
        {
            return false;
        }

        try
        {
            NativeLibrary.SetDllImportResolver(typeof(SqliteNative).Assembly, (name, _, _) =>
                name == Library ? NativeLibrary.Load(Library, typeof(SQLite3Provider_e_sqlite3).Assembly, null) : 0);
            return sqlite3_libversion_number() == raw.sqlite3_libversion_number();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            return false; // not loadable from here: stay on SQLitePCLRaw's calls
        }
    }

    [LibraryImport(Library)]
    private static partial int sqlite3_libversion_number();

    [LibraryImport(Library)]
    public static partial int sqlite3_step(nint statement);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_reset(nint statement);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_clear_bindings(nint statement);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial long sqlite3_column_int64(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_column_type(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial byte* sqlite3_column_text(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_column_bytes(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_bind_int64(nint statement, int index, long value);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_bind_null(nint statement, int index);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_bind_text(nint statement, int index, byte* text, int length, nint destructor);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial long sqlite3_last_insert_rowid(nint db);
}
