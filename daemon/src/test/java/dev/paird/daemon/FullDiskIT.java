package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.daemon.Pairctl.Result;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PROTOCOL.md, hmac and spake2 step 4, and CONTROL.md, {@code wait-key}: when the server proves the
 * key but cannot save the client's trust, it answers ERROR(INTERNAL), the key is spent, and nobody
 * trusts anybody. A's state directory is on a small tmpfs that the test fills once A is running;
 * B's pairing is then refused as {@code peer_failed}, A's {@code new-key --wait} reports {@code
 * failed}, and once there is room again a new key pairs the same devices.
 */
final class FullDiskIT {
  @TempDir Path tmp;

  private final List<PairdProcess> started = new ArrayList<>();
  private Path mount;

  @AfterEach
  void cleanUp() throws Exception {
    for (PairdProcess paird : started) {
      paird.close();
    }
    if (mount != null
        && new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor() != 0) {
      // Busy still (a paird that would not stop): detach it, so that no mount outlives the test.
      assertThat(new ProcessBuilder("umount", "-l", mount.toString()).inheritIO().start().waitFor())
          .as("umount -l " + mount)
          .isZero();
    }
  }

  @Test
  void serverThatCannotSaveTrust_answersInternal_andNobodyTrustsAnybody() throws Exception {
    Path disk = Files.createDirectory(tmp.resolve("disk"));
    assumeTrue(
        new ProcessBuilder(
                    "mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", disk.toString())
                .inheritIO()
                .start()
                .waitFor()
            == 0,
        "needs to mount a tmpfs (root)");
    mount = disk;
    Pairctl a = start("a", disk.resolve("state"));
    Pairctl b = start("b", tmp.resolve("b-state"));
    String addressOfA = a.look(Command.STATUS).path("listen").textValue();
    Path filler = fill(disk.resolve("filler"));

    try (Pairctl.Running waiting = a.start("--json", "new-key", "--wait")) {
      JsonNode issued = waiting.readJson();
      Result pair = b.run("--json", "pair", addressOfA, issued.path("key").textValue());
      JsonNode outcome = waiting.readJson();

      assertThat(pair.status()).as(pair.err()).isEqualTo(6);
      assertThat(pair.json().path("error").path("code").textValue()).isEqualTo("peer_failed");
      assertThat(outcome.path("outcome").textValue()).as("%s", outcome).isEqualTo("failed");
    }
    assertThat(a.look(Command.LIST_TRUSTED).path("peers")).isEmpty();
    assertThat(b.look(Command.LIST_TRUSTED).path("peers")).isEmpty();
    assertThat(a.look(Command.STATUS).path("pending_keys").intValue())
        .as("the key is gone")
        .isZero();

    Files.delete(filler);
    Result again = b.run("--json", "pair", addressOfA, a.json("new-key").path("key").textValue());

    assertThat(again.status()).as(again.err()).isZero();
    assertThat(a.look(Command.LIST_TRUSTED).path("peers")).hasSize(1);
    assertThat(b.look(Command.LIST_TRUSTED).path("peers")).hasSize(1);
  }

  private Pairctl start(String name, Path state) throws Exception {
    PairdProcess.Options options =
        PairdProcess.in(Files.createDirectory(tmp.resolve(name))).stateDir(state);
    started.add(options.start());
    return options.pairctl();
  }

  /** Writes {@code file} until the file system is full. */
  private static Path fill(Path file) throws IOException {
    byte[] block = new byte[4096];
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      assertThat(Files.getFileStore(file).getUsableSpace()).as("room left").isLessThan(4096);
      return file;
    }
  }
}
