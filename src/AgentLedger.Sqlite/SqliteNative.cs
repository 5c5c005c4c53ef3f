using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace AgentLedger.Sqlite;

/// <summary>
/// Direct entry points into the SQLite library SQLitePCLRaw has loaded, for the calls made per row and per bound
/// value. Through SQLitePCLRaw each call passes a SafeHandle (two interlocked operations), an interface dispatch
/// and a GC transition; measured, that is most of the cost of a column read. Here a call is a plain native call,
/// and the column reads, which only read memory SQLite already holds, also skip the GC transition
/// (<see cref="SuppressGCTransitionAttribute"/>, allowed only for calls that are short and never block or call back).
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
    public const nint Transient = -1;

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

            // The same loaded image, not merely the same version: sqlite3_libversion returns the address of a
            // string inside the library, so two copies (a custom path, a second load) give different addresses.
            var theirs = raw.sqlite3_libversion();
            fixed (byte* text = theirs)
            {
                return sqlite3_libversion() == text;
            }
        }
#pragma warning disable CA1031 // any failure to bind here means: stay on SQLitePCLRaw's calls, never an unusable ledger
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    // Cdecl as SQLitePCLRaw declares them (the default would be stdcall on Windows x86). SuppressGCTransition only
    // where the call reads memory SQLite already holds: binding copies (and may allocate any size), reset may end a
    // read transaction (file locks), and step may wait on a lock or the disk, so those keep their transition.
    [LibraryImport(Library), UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    private static partial byte* sqlite3_libversion();

    [LibraryImport(Library), UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial int sqlite3_step(nint statement);

    [LibraryImport(Library), UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial int sqlite3_reset(nint statement);

    [LibraryImport(Library), UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial int sqlite3_clear_bindings(nint statement);

    [LibraryImport(Library), SuppressGCTransition, UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial long sqlite3_column_int64(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition, UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial int sqlite3_column_type(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition, UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial byte* sqlite3_column_text(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition, UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial int sqlite3_column_bytes(nint statement, int column);

    [LibraryImport(Library), UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial int sqlite3_bind_int64(nint statement, int index, long value);

    [LibraryImport(Library), UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial int sqlite3_bind_null(nint statement, int index);

    [LibraryImport(Library), UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial int sqlite3_bind_text(nint statement, int index, byte* text, int length, nint destructor);

    [LibraryImport(Library), SuppressGCTransition, UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial long sqlite3_last_insert_rowid(nint db);
}
