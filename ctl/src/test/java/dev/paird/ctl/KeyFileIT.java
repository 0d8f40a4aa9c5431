package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.Spake2Code;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher packaging/bin/pairctl with {@code pair --key-file} in a directory every user may
 * write to (SECURITY.md, "Typing the key"): refused, by path and by a bare name in the working
 * directory, before pairctl connects to paird; the same file is read once the directory is private.
 */
final class KeyFileIT {
  private static final String KEY =
      Spake2Code.create(42, "13572468".getBytes(StandardCharsets.US_ASCII)).format();

  @TempDir Path dir;

  @Test
  void pair_keyFileInADirectoryEveryoneMayWriteTo_isRefusedBeforeConnecting() throws Exception {
    Path open = Files.createDirectory(dir.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path file = Files.writeString(open.resolve("key"), KEY + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    Path socket = dir.resolve("control.sock");
    String peer =
        "{\"peer\":{\"fingerprint\":"
            + "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\","
            + "\"subject\":\"CN=laptop\",\"host\":\"127.0.0.1:7247\",\"suite\":\"spake2\"}}";
    // One connection only: had a refused pairctl connected, the last one could not.
    try (FakeDaemon paird =
        FakeDaemon.start(socket, FakeDaemon.ok("{\"pending_keys\":0}"), FakeDaemon.ok(peer))) {
      List<String> byPath =
          List.of(
              "--socket", socket.toString(), "pair", "127.0.0.1", "--key-file", file.toString());
      List<String> byName =
          List.of("--socket", socket.toString(), "pair", "127.0.0.1", "--key-file", "key");

      assertRefused(pairctl(dir, byPath), open, paird);
      assertRefused(pairctl(open, byName), open, paird);
      Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwx------"));
      Launcher.Run read = pairctl(dir, byPath);

      assertThat(read.status()).as(read.err()).isZero();
      // A status first, on the connection that then carries the key.
      assertThat(paird.requests()).hasSize(2);
      assertThat(paird.requests().get(1)).contains("\"key\":\"" + KEY.replace("-", "") + "\"");
    }
  }

  private static void assertRefused(Launcher.Run run, Path open, FakeDaemon paird)
      throws Exception {
    assertThat(run.status()).as(run.err()).isEqualTo(2);
    assertThat(run.err())
        .contains(" is in " + open.toRealPath() + ", which every user may write to")
        .contains("chmod go-w " + open.toRealPath())
        .doesNotContain(KEY);
    assertThat(paird.requests()).isEmpty();
  }

  private Launcher.Run pairctl(Path workingDirectory, List<String> args) throws Exception {
    return Launcher.run(workingDirectory, Path.of("/dev/null"), dir.resolve("err.txt"), args);
  }
}
