package dev.paird.hostile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The clocks of one paird, moved by the test while it runs: libfaketime (Debian package {@code
 * faketime}) preloaded into paird, offsetting its clocks by an amount it reads from a file on every
 * call. Either only the wall clock moves (NTP, a user, a board without a real-time clock setting
 * the date at boot), or the monotonic clock moves with it, which to a process is the same as not
 * being scheduled for that long (a suspended machine, a stopped container).
 */
final class LibFaketime {
  /** Which of paird's clocks an offset moves. */
  enum Clocks {
    WALL_ONLY,
    WALL_AND_MONOTONIC
  }

  private final Path offset;
  private final Path library;

  private LibFaketime(Path offset, Path library) {
    this.offset = offset;
    this.library = library;
  }

  /** A clock at real time, its offset kept in {@code dir}; fails if libfaketime is missing. */
  static LibFaketime in(Path dir) throws IOException {
    Path library =
        library()
            .orElseThrow(
                () ->
                    new AssertionError(
                        "libfaketime is not"
                            + " installed; install the Debian package faketime (.ci/run does)"));
    return new LibFaketime(Files.writeString(dir.resolve("offset"), "+0\n"), library);
  }

  /** The command that runs paird with this clock, for {@code PairdProcess.Options.wrapper}. */
  List<String> wrapper(Clocks clocks) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "env",
                "LD_PRELOAD=" + library,
                "FAKETIME_TIMESTAMP_FILE=" + offset,
                // read the file on every call: the test changes it
                "FAKETIME_NO_CACHE=1",
                // Its work-around for old glibc makes a JVM spin and start ten times slower
                // (wolfcw/libfaketime#425); Debian 12's glibc does not need it.
                "FAKETIME_FORCE_MONOTONIC_FIX=0"));
    if (clocks == Clocks.WALL_ONLY) {
      command.add("FAKETIME_DONT_FAKE_MONOTONIC=1");
    }
    return command;
  }

  /** Moves the clocks to real time plus {@code value} (libfaketime's "+2h", "-1h"). */
  void set(String value) throws IOException {
    Path next =
        Files.writeString(offset.resolveSibling(offset.getFileName() + ".next"), value + "\n");
    Files.move(next, offset, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Debian's libfaketime for multi-threaded programs, on whichever architecture this is. */
  private static Optional<Path> library() throws IOException {
    try (Stream<Path> dirs = Files.list(Path.of("/usr/lib"))) {
      return dirs.map(d -> d.resolve("faketime/libfaketimeMT.so.1"))
          .filter(Files::isReadable)
          .findFirst();
    }
  }
}
