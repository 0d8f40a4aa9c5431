package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The program 40-device-copies of docs/INTEGRATION.md, read from the document and run as
 * paird-trust-changed.service runs it. It runs as root on files the user paird may replace: it
 * copies the device's certificate and key, for services that read them as root, only when both
 * files it opened are regular files of that user, in that user's identity/ directory and not
 * through a link to another.
 */
final class DeviceCopiesProgramTest {
  // What trust-changed gives a program in these tests: a program that waited for a FIFO's writer
  // would be stopped then, and would not refuse the file.
  private static final long PROMPTLY = 10;

  @TempDir Path dir;
  private Path state;
  private Path copies;
  private TrustChangedPrograms programs;

  @BeforeEach
  void setUp() throws IOException {
    state = TrustChangedPrograms.deviceState(dir);
    copies = Files.createDirectory(dir.resolve("paird-trust-changed"));
    programs = new TrustChangedPrograms(dir, "exit 0", TrustChangedPrograms.DEVICE_COPIES);
  }

  @Test
  void deviceCopies_identity_isCopiedAndTheKeyIsRootsAlone() throws Exception {
    TrustChangedPrograms.Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isZero();
    assertThat(copies.resolve("device-cert.pem")).hasContent("the device's own certificate");
    assertThat(copies.resolve("device-key.pem")).hasContent("the device's key");
    assertThat(Files.getPosixFilePermissions(copies.resolve("device-key.pem")))
        .as("the key's copy, root's alone")
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(TrustChangedPrograms.programsFiles(copies))
        .as("no temporary file left")
        .containsExactlyInAnyOrder("device-cert.pem", "device-key.pem");
  }

  @Test
  void deviceCopies_keyLinksToAnotherServicesKey_copiesNothing() throws Exception {
    // Root's, 0600, once the state is nobody's: a key the user paird could not read itself.
    Path other = Files.writeString(dir.resolve("other-service.key"), "another service's key\n");
    Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-------"));
    TrustChangedPrograms.replaceWithLink(state.resolve("identity/key.pem"), other);

    TrustChangedPrograms.Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("key.pem is not a regular file of the user paird");
    assertNothingCopied();
  }

  @Test
  void deviceCopies_certificateLinksToADevice_copiesNothing() throws Exception {
    TrustChangedPrograms.replaceWithLink(state.resolve("identity/cert.pem"), Path.of("/dev/zero"));

    TrustChangedPrograms.Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("cert.pem is not a regular file of the user paird");
    assertNothingCopied();
  }

  @Test
  void deviceCopies_keyIsASparseGibibyte_copiesNothing() throws Exception {
    TrustChangedPrograms.makeSparseGibibyte(state.resolve("identity/key.pem"));

    TrustChangedPrograms.Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("key.pem is not a regular file of the user paird");
    assertNothingCopied();
  }

  @Test
  void deviceCopies_certificateIsAFifo_refusedWithoutWaitingForAWriter() throws Exception {
    Files.delete(state.resolve("identity/cert.pem"));
    TrustChangedPrograms.makeFifo(state.resolve("identity/cert.pem"));

    TrustChangedPrograms.Run run = run(PROMPTLY);

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("cert.pem is not a regular file of the user paird");
    assertNothingCopied();
  }

  @Test
  void deviceCopies_certificateLinksToAFifo_neverOpensIt() throws Exception {
    // Stands for a device whose opening has effects: /dev/watchdog, a tape that rewinds.
    try (BlockedFifoWriter writer = new BlockedFifoWriter(dir.resolve("device"))) {
      TrustChangedPrograms.replaceWithLink(
          state.resolve("identity/cert.pem"), dir.resolve("device"));

      TrustChangedPrograms.Run run = run(PROMPTLY);

      assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
      assertThat(run.output()).contains("cert.pem is not a regular file of the user paird");
      assertThat(writer.blocked())
          .as("the writer, still waiting for anyone to open the FIFO")
          .isTrue();
      assertNothingCopied();
    }
  }

  /**
   * identity/ itself a link, to a directory where cert.pem is a FIFO a writer waits on: refused
   * before anything in it is opened.
   */
  @Test
  void deviceCopies_identityLinksToADirectoryOfAFifo_neverOpensIt() throws Exception {
    Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
    Files.writeString(elsewhere.resolve("key.pem"), "a key\n");
    try (BlockedFifoWriter writer = new BlockedFifoWriter(elsewhere.resolve("cert.pem"))) {
      replaceDirectoryWithLink(state.resolve("identity"), elsewhere);

      TrustChangedPrograms.Run run = run(PROMPTLY);

      assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
      assertThat(run.output()).contains("identity is not a directory of the user paird");
      assertThat(writer.blocked())
          .as("the writer, still waiting for anyone to open the FIFO")
          .isTrue();
      assertNothingCopied();
    }
  }

  /**
   * identity/ a link to a directory whose files would pass every other check (regular, the user
   * paird's, small): refused all the same, since root would be reading wherever the link says.
   */
  @Test
  void deviceCopies_identityLinksToADirectoryOfPairdsFiles_copiesNothing() throws Exception {
    Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
    Files.writeString(elsewhere.resolve("cert.pem"), "a certificate from elsewhere\n");
    Files.writeString(elsewhere.resolve("key.pem"), "a key from elsewhere\n");
    TrustChangedPrograms.giveToNobody(elsewhere);
    replaceDirectoryWithLink(state.resolve("identity"), elsewhere);

    TrustChangedPrograms.Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("identity is not a directory of the user paird");
    assertNothingCopied();
  }

  @Test
  void deviceCopies_refused_keepsTheCopiesMadeBefore() throws Exception {
    assertThat(run().exitStatus()).isZero();
    TrustChangedPrograms.replaceWithLink(
        state.resolve("identity/cert.pem"), Path.of("/etc/passwd"));

    TrustChangedPrograms.Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(copies.resolve("device-cert.pem")).hasContent("the device's own certificate");
    assertThat(copies.resolve("device-key.pem")).hasContent("the device's key");
  }

  /** Replaces {@code directory} and its files with a link to {@code target}. */
  private static void replaceDirectoryWithLink(Path directory, Path target) throws IOException {
    try (var files = Files.list(directory)) {
      for (Path file : files.toList()) {
        Files.delete(file);
      }
    }
    Files.delete(directory);
    Files.createSymbolicLink(directory, target);
  }

  private void assertNothingCopied() throws IOException {
    assertThat(TrustChangedPrograms.programsFiles(copies)).isEmpty();
  }

  private TrustChangedPrograms.Run run() throws Exception {
    TrustChangedPrograms.giveToNobody(state);
    return programs.run(state, copies);
  }

  private TrustChangedPrograms.Run run(long hookTimeoutSeconds) throws Exception {
    TrustChangedPrograms.giveToNobody(state);
    return programs.run(state, copies, hookTimeoutSeconds);
  }
}
