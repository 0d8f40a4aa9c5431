package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paird.api.ControlProtocol.Command;
import dev.paird.testing.OpenSslCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A first start killed at any rename (a power cut, an OOM kill) never leaves half an identity,
 * which later starts would refuse to use or replace: strace kills a real paird just before its
 * first, second, third... rename, until one starts without being killed; after each, paird started
 * again is ready, and serves the identity in identity/ whole.
 */
final class IdentityCrashIT {
  private static final Path STRACE = Path.of("/usr/bin/strace");

  /** More renames than a first start makes: the identity's three, the outputs', the socket's. */
  private static final int MAX_RENAMES = 12;

  @TempDir Path dir;

  @Test
  void firstStartKilledBeforeAnyRename_nextStartIsReady_withAWholeIdentity() throws Exception {
    assumeTrue(Files.isExecutable(STRACE), "needs strace to kill paird at a chosen rename");
    int killed = 0;
    for (int n = 1; n <= MAX_RENAMES; n++) {
      Path home = dir.resolve("kill-before-rename-" + n);
      PairdProcess.Options options =
          PairdProcess.in(home)
              .wrapper(
                  List.of(
                      STRACE.toString(),
                      "-f",
                      "-qq",
                      "-o",
                      "/dev/null",
                      "-e",
                      "trace=rename,renameat,renameat2",
                      "-e",
                      "inject=rename,renameat,renameat2:signal=KILL:when=" + n,
                      "--"));
      try (PairdProcess crashing = options.launch()) {
        if (crashing.awaitReadyOrEnd()) {
          // Past every rename of a start: stopped as systemd would, so that strace ends with it.
          crashing.process.children().forEach(ProcessHandle::destroy);
          break;
        }
      }
      killed++;

      PairdProcess.Options again = PairdProcess.in(home);
      try (PairdProcess restarted = again.start()) {
        Path identity = home.resolve("state/identity");
        String served = again.pairctl().look(Command.STATUS).path("fingerprint").textValue();

        assertThat(served)
            .as("after a kill before rename %d", n)
            .isEqualTo(OpenSslCli.fingerprint(identity.resolve("cert.pem")));
        assertThat(identity.resolve("key.pem")).isRegularFile();
        assertThat(home.resolve("state/identity.new")).doesNotExist();
      }
    }
    assertThat(killed)
        .as("starts killed before a rename (the identity alone makes three)")
        .isBetween(3, MAX_RENAMES - 1);
  }
}
