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
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
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
    Path disk = mountSmallDisk();
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

  /**
   * INTEGRATION.md, "Kept in step, and crash-safe": a pairing whose outputs cannot all be written
   * fails and puts every file back, even on a full disk, where what was written first cannot be
   * written again. A's state directory holds one peer; C pairs with A again and again, with one
   * more free block each time, so that the disk fills at each step of the change in turn (the
   * journal line, trusted.pem, trusted-certs/, trusted.p12). After each attempt, whatever its
   * outcome, every output holds exactly the peers A lists: a device A refused is in none of them.
   */
  @Test
  void pairingThatFillsTheDisk_leavesNoOutputTrustingTheRefusedDevice() throws Exception {
    Path disk = mountSmallDisk();
    Path state = disk.resolve("state");
    Pairctl a = start("a", state);
    Pairctl b = start("b", tmp.resolve("b-state"));
    Pairctl c = start("c", tmp.resolve("c-state"));
    String addressOfA = a.look(Command.STATUS).path("listen").textValue();
    String fingerprintOfC = c.look(Command.STATUS).path("fingerprint").textValue();
    assertThat(b.run("pair", addressOfA, a.json("new-key").path("key").textValue()).status())
        .isZero();
    long block = Files.getFileStore(disk).getBlockSize();

    int refused = 0;
    for (int free = 0; free <= 6; free++) {
      String key = a.json("new-key").path("key").textValue();
      Path filler = fill(disk.resolve("filler"));
      Files.newByteChannel(filler, StandardOpenOption.WRITE)
          .truncate(Math.max(0, Files.size(filler) - free * block))
          .close();
      Result pair = c.run("--json", "pair", addressOfA, key);
      Files.delete(filler);

      String context = free + " free blocks, pairctl pair: " + pair.out() + pair.err();
      Set<String> listed = outputsAgreeWithList(a, state, context);
      if (pair.status() == 0) {
        assertThat(listed).as(context).contains(fingerprintOfC);
        a.json("remove", fingerprintOfC);
        outputsAgreeWithList(a, state, context + ", then removed");
      } else {
        refused++;
        assertThat(pair.json().path("error").path("code").textValue())
            .as(context)
            .isEqualTo("peer_failed");
        assertThat(listed).as(context).doesNotContain(fingerprintOfC);
      }
    }
    assertThat(refused).as("pairings the full disk refused").isPositive();
  }

  /**
   * CONTROL.md, {@code pair}, and PROTOCOL.md §7: a device that pairs as the client and cannot save
   * the other's trust trusts nobody, while the other device trusts it. Its failure is its own, so
   * pairctl says there what failed (the state directory's file system) and what to do, rather than
   * sending the user to the log; no Java exception text reaches it.
   */
  @Test
  void clientThatCannotSaveTrust_saysWhatFailedAndWhatToDo() throws Exception {
    Path disk = mountSmallDisk();
    Path state = disk.resolve("state");
    Pairctl a = start("a", state);
    Pairctl b = start("b", tmp.resolve("b-state"));
    String addressOfB = b.look(Command.STATUS).path("listen").textValue();
    Path filler = fill(disk.resolve("filler"));

    Result pair = a.run("pair", addressOfB, b.json("new-key").path("key").textValue());

    assertThat(pair.status()).as(pair.err()).isEqualTo(1);
    assertThat(pair.err())
        .as("names the file system that failed and what to do")
        .contains(state.toString())
        .contains("has room")
        .doesNotContain("Exception")
        .doesNotContain("java.");
    assertThat(a.look(Command.LIST_TRUSTED).path("peers")).isEmpty();
    assertThat(b.look(Command.LIST_TRUSTED).path("peers")).as("as PROTOCOL.md §7 says").hasSize(1);

    Files.delete(filler);
    Result again = a.run("pair", addressOfB, b.json("new-key").path("key").textValue());
    assertThat(again.status()).as(again.err()).isZero();
    assertThat(a.look(Command.LIST_TRUSTED).path("peers")).hasSize(1);
  }

  /**
   * SECURITY.md, "Files": on a full disk {@code remove} still withdraws trust, since it takes no
   * room (a journal line within its last block, files of trusted-certs/ deleted and renamed, a byte
   * of each bundle changed in place; the bundle it cannot write whole keeps the certificate as a
   * comment), and every output agrees with the list; paird stopped there and needing to rewrite an
   * output at start-up refuses to start, saying what to do, and starts with the same list once
   * there is room.
   */
  @Test
  void fullDisk_withdrawsOnRemove_refusesStart_sayingWhatToDo() throws Exception {
    Path disk = mountSmallDisk();
    Path state = disk.resolve("state");
    PairdProcess.Options optionsOfA =
        PairdProcess.in(Files.createDirectory(tmp.resolve("a"))).stateDir(state);
    PairdProcess first = optionsOfA.start();
    started.add(first);
    Pairctl a = optionsOfA.pairctl();
    String addressOfA = a.look(Command.STATUS).path("listen").textValue();
    for (String name : List.of("b", "c")) {
      Pairctl other = start(name, tmp.resolve(name + "-state"));
      assertThat(other.run("pair", addressOfA, a.json("new-key").path("key").textValue()).status())
          .isZero();
    }
    outputsAgreeWithList(a, state, "two peers");
    JsonNode peers = a.look(Command.LIST_TRUSTED).path("peers");
    // Devices of one host name share a subject, so trusted-certs/ numbers them HASH.0 and HASH.1
    // in list order: removing the first renumbers the other's file, with no room to write it.
    assertThat(peers.get(0).path("subject")).isEqualTo(peers.get(1).path("subject"));
    Path filler = fill(disk.resolve("filler"));
    String removed = peers.get(0).path("fingerprint").textValue();

    Result remove = a.run("remove", removed);

    assertThat(remove.status()).as(remove.err()).isZero();
    Set<String> before = outputsAgreeWithList(a, state, "after the remove on a full disk");
    assertThat(before).hasSize(1).doesNotContain(removed);

    assertThat(first.stop()).isEqualTo(143);
    Files.delete(state.resolve("trusted.pem"));
    Files.delete(filler);
    filler = fill(disk.resolve("filler"));
    PairdProcess refused = optionsOfA.launch();
    started.add(refused);
    assertThat(refused.awaitExit()).as(refused.log()).isEqualTo(1);
    assertThat(refused.log())
        .as("names the bundle it could not write and what to do")
        .contains(state.resolve("trusted.pem").toString())
        .contains("has room");

    Files.delete(filler);
    started.add(optionsOfA.start());
    assertThat(outputsAgreeWithList(a, state, "started with room again")).isEqualTo(before);
  }

  /**
   * SECURITY.md, "Files": a first start that cannot write its identity for want of room, and a
   * start on a read-only state directory, are refused with a message naming the state directory's
   * file system and what to do; with room, and writable again, paird starts.
   */
  @Test
  void startThatCannotWrite_saysWhatToDo() throws Exception {
    Path disk = mountSmallDisk();
    Path state = disk.resolve("state");
    PairdProcess.Options options =
        PairdProcess.in(Files.createDirectory(tmp.resolve("a"))).stateDir(state);
    Path filler = fill(disk.resolve("filler"));

    PairdProcess full = options.launch();
    started.add(full);
    assertThat(full.awaitExit()).as(full.log()).isEqualTo(1);
    assertThat(full.log())
        .as("a first start on a full disk")
        .contains(state.resolve("identity").toString())
        .contains("has room")
        .doesNotContain("Exception");

    Files.delete(filler);
    PairdProcess generated = options.start();
    started.add(generated);
    String fingerprint = options.pairctl().look(Command.STATUS).path("fingerprint").textValue();
    assertThat(generated.stop()).isEqualTo(143);
    assertThat(
            new ProcessBuilder("mount", "-o", "remount,ro", disk.toString())
                .inheritIO()
                .start()
                .waitFor())
        .as("remount read-only")
        .isZero();

    PairdProcess readOnly = options.launch();
    started.add(readOnly);
    assertThat(readOnly.awaitExit()).as(readOnly.log()).isEqualTo(1);
    assertThat(readOnly.log())
        .as("a start on a read-only state directory")
        .contains(state.resolve("paird.lock").toString())
        .contains("can be written to")
        .doesNotContain("Exception");

    assertThat(
            new ProcessBuilder("mount", "-o", "remount,rw", disk.toString())
                .inheritIO()
                .start()
                .waitFor())
        .as("remount read-write")
        .isZero();
    started.add(options.start());
    assertThat(options.pairctl().look(Command.STATUS).path("fingerprint").textValue())
        .as("the identity generated before")
        .isEqualTo(fingerprint);
  }

  /** Mounts a small tmpfs, which {@link #cleanUp} unmounts, or skips the test if it cannot. */
  private Path mountSmallDisk() throws Exception {
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
    return disk;
  }

  /**
   * The fingerprints A lists, after checking that trusted.pem, trusted.p12 and trusted-certs/, read
   * with the JDK, hold exactly those certificates.
   */
  private static Set<String> outputsAgreeWithList(Pairctl paird, Path state, String context)
      throws Exception {
    Set<String> listed = new TreeSet<>();
    for (JsonNode peer : paird.look(Command.LIST_TRUSTED).path("peers")) {
      listed.add(peer.path("fingerprint").textValue());
    }
    OutputCertificates.assertHoldExactly(state, listed, context);
    return listed;
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
