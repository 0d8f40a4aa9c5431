package dev.paird.ctl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Whether the reader of pairctl's standard output went away, asked once a write to it has failed:
 * tells a closed pipe ({@code pairctl list-trusted | head -1}, once {@code head} has its line) from
 * a write that failed for another reason, such as a full disk.
 *
 * <p>Java does not say which error a write met: the JVM ignores SIGPIPE, and {@code System.out}
 * keeps only a flag. So this asks Linux what standard output is. A write to a pipe or a socket in
 * blocking mode fails only when nobody reads it any more (EPIPE, or ECONNRESET for a socket); one
 * in non-blocking mode may merely be full, and counts as any other failure, as does an answer
 * {@code /proc} cannot give.
 */
final class ReaderGone implements BooleanSupplier {
  private static final Path FD = Path.of("/proc/self/fd/1");
  private static final Path FD_INFO = Path.of("/proc/self/fdinfo/1");

  private static final int S_IFMT = 0170000;
  private static final int S_IFIFO = 0010000;
  private static final int S_IFSOCK = 0140000;

  /** Linux's generic value, that of x86-64, AArch64, ARM, RISC-V, PowerPC and s390x. */
  private static final int O_NONBLOCK = 04000;

  @Override
  public boolean getAsBoolean() {
    try {
      int type = (Integer) Files.getAttribute(FD, "unix:mode") & S_IFMT;
      return (type == S_IFIFO || type == S_IFSOCK) && blocking(Files.readAllLines(FD_INFO));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Whether the {@code flags:} line of {@code /proc/PID/fdinfo/FD} lacks O_NONBLOCK. */
  static boolean blocking(List<String> fdInfo) {
    for (String line : fdInfo) {
      if (line.startsWith("flags:")) {
        return (Integer.parseInt(line.substring("flags:".length()).trim(), 8) & O_NONBLOCK) == 0;
      }
    }
    return false;
  }
}
