package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SECURITY.md, "What can remain in paird's memory", and SYSTEMD.md, {@code LimitCORE=0}: a crash of
 * paird or of pairctl, whose memory holds keys, leaves no core dump, and the JVM's crash report
 * (registers and stack memory) is private to the process's user, even when each is started by hand
 * from a shell that allows cores and has umask 022. Each is started through its launcher so, in a
 * working directory of its own, while it holds a key (paird a pending one; pairctl {@code new-key
 * --wait}, which has shown it), and is sent SIGSEGV, which the JVM takes for a crash.
 */
final class CrashReportIT {
  private static final Duration BOUND = Duration.ofSeconds(60);

  /** Runs the rest of its arguments where a careless shell would: cores allowed, umask 022. */
  private static final String CARELESS_SHELL =
      "ulimit -c unlimited && umask 022 && cd \"$0\" && exec \"$@\"";

  private static final Set<PosixFilePermission> OTHERS =
      Set.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE);

  @TempDir Path dir;

  @Test
  void pairdCrash_leavesNoCore_andAPrivateReport() throws Exception {
    Path cwd = Files.createDirectory(dir.resolve("paird-cwd"));
    PairdProcess.Options options =
        PairdProcess.in(dir).wrapper(List.of("sh", "-c", CARELESS_SHELL, cwd.toString()));
    PairdProcess paird = options.start();
    try {
      options.pairctl().json("new-key");

      crash(paird.pid());
      paird.awaitExit();
    } finally {
      paird.close();
    }

    assertCrashedPrivately(cwd, paird.pid());
  }

  @Test
  void pairctlCrash_leavesNoCore_andAPrivateReport() throws Exception {
    Path cwd = Files.createDirectory(dir.resolve("pairctl-cwd"));
    PairdProcess.Options options = PairdProcess.in(dir);
    try (PairdProcess paird = options.start()) {
      Process pairctl =
          new ProcessBuilder(
                  "sh",
                  "-c",
                  CARELESS_SHELL,
                  cwd.toString(),
                  Pairctl.PAIRCTL.toString(),
                  "--socket",
                  options.socket().toString(),
                  "--json",
                  "new-key",
                  "--wait")
              .redirectError(dir.resolve("pairctl.err").toFile())
              .start();
      try {
        BufferedReader out =
            new BufferedReader(
                new InputStreamReader(pairctl.getInputStream(), StandardCharsets.UTF_8));
        assertThat(Pairctl.readLine(out, BOUND)).as("the key pairctl shows").contains("\"key\"");

        crash(pairctl.pid());
        assertThat(pairctl.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
      } finally {
        pairctl.destroyForcibly();
      }
      assertCrashedPrivately(cwd, pairctl.pid());
    }
  }

  /** SIGSEGV from outside: the JVM writes its crash report and aborts, as on a real crash. */
  private static void crash(long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-SEGV", Long.toString(pid)).start();
    assertThat(kill.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).as("kill -SEGV %s", pid).isZero();
  }

  private static void assertCrashedPrivately(Path cwd, long pid) throws Exception {
    Path report = cwd.resolve("hs_err_pid" + pid + ".log");
    assertThat(report).as("the JVM's crash report").exists();
    assertThat(Files.getPosixFilePermissions(report)).doesNotContainAnyElementsOf(OTHERS);
    try (Stream<Path> files = Files.list(cwd)) {
      assertThat(files.map(file -> file.getFileName().toString()))
          .as("files the crash left")
          .containsExactly(report.getFileName().toString());
    }
  }
}
