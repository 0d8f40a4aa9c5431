package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.trust.HubFill;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * INTEGRATION.md, "The outputs": a real paird started from a shell with umask 000 (which its
 * launcher narrows to 077, as its unit does) gives its files, and the parent of its state directory
 * that it makes, the modes promised, whatever the umask, and gives {@code trusted-certs/} its mode
 * back if widened; and at start-up it rewrites an output that differs from the list, removes
 * temporary files a crash left and {@code HASH.N} files of peers it no longer trusts, leaves other
 * files in {@code trusted-certs/} alone, and does not rewrite an output that is right.
 */
final class OutputsIT {
  @TempDir Path dir;

  @Test
  void modesWhateverTheUmask_andStartUpRepairsOnlyWhatDiffers() throws Exception {
    // A parent that paird makes too: one every user could write to would let them rename the
    // state directory away.
    Path parent = dir.resolve("parent");
    Path state = parent.resolve("state");
    PairdProcess.Options options =
        PairdProcess.in(dir)
            .stateDir(state)
            .wrapper(List.of("sh", "-c", "umask 000; exec \"$@\"", "sh"));
    options.start().close(); // creates the state directory and the identity
    HubFill.main(new String[] {state.toString(), "6"});
    PairdProcess paird = options.start();
    Set<String> listed;
    try {
      listed = listed(options.socket());
    } finally {
      paird.close();
    }

    assertThat(mode(parent)).isEqualTo("rwxr-xr-x");
    assertThat(mode(state)).isEqualTo("rwx------");
    assertThat(mode(state.resolve("identity"))).isEqualTo("rwx------");
    assertThat(mode(state.resolve("identity/key.pem"))).isEqualTo("rw-------");
    assertThat(mode(state.resolve("identity/cert.pem"))).isEqualTo("rw-r--r--");
    assertThat(mode(state.resolve("trusted.json"))).isEqualTo("rw-------");
    assertThat(mode(state.resolve("trusted.pem"))).isEqualTo("rw-r--r--");
    assertThat(mode(state.resolve("trusted.p12"))).isEqualTo("rw-r--r--");
    Path capath = state.resolve("trusted-certs");
    assertThat(mode(capath)).isEqualTo("rwxr-xr-x");
    try (Stream<Path> files = Files.list(capath)) {
      assertThat(files.toList())
          .hasSize(6)
          .allSatisfy(file -> assertThat(mode(file)).as("%s", file).isEqualTo("rw-r--r--"));
    }
    assertThat(pemFingerprints(state.resolve("trusted.pem"))).isEqualTo(listed);

    // What a crash, or someone, could leave: a damaged bundle, a temporary file, a stale HASH.N,
    // and a file of someone else's in trusted-certs/.
    Files.writeString(state.resolve("trusted.pem"), "# not a peer\n", StandardOpenOption.APPEND);
    Files.writeString(state.resolve(".trusted.pem.tmp-123"), "half a bundle");
    Path stale;
    try (Stream<Path> files = Files.list(capath)) {
      stale = Files.copy(files.findFirst().orElseThrow(), capath.resolve("deadbeef.0"));
    }
    Path foreign = Files.writeString(capath.resolve("README"), "kept by its owner\n");
    Files.setPosixFilePermissions(capath, PosixFilePermissions.fromString("rwxrwxrwx"));
    Object p12 = Files.getAttribute(state.resolve("trusted.p12"), "unix:ino");

    paird = options.start();
    try {
      assertThat(listed(options.socket())).isEqualTo(listed);
    } finally {
      paird.close();
    }

    assertThat(pemFingerprints(state.resolve("trusted.pem"))).isEqualTo(listed);
    assertThat(Files.readString(state.resolve("trusted.pem"))).doesNotContain("# not a peer");
    assertThat(state.resolve(".trusted.pem.tmp-123")).doesNotExist();
    assertThat(stale).doesNotExist();
    assertThat(foreign).hasContent("kept by its owner");
    assertThat(mode(capath))
        .as("trusted-certs/, which others could write to")
        .isEqualTo("rwxr-xr-x");
    assertThat(Files.getAttribute(state.resolve("trusted.p12"), "unix:ino"))
        .as("trusted.p12, which was right, is the same file")
        .isEqualTo(p12);
  }

  /**
   * {@code trusted-certs/} deleted while paird runs: the next change still succeeds, and makes the
   * directory again with every listed peer's file, not only the changed one's.
   */
  @Test
  void capathDirectoryDeletedWhileRunning_isMadeAgainWholeByTheNextChange() throws Exception {
    PairdProcess.Options options = PairdProcess.in(dir);
    Path state = dir.resolve("state");
    options.start().close();
    HubFill.main(new String[] {state.toString(), "6"});
    Path capath = state.resolve("trusted-certs");
    try (PairdProcess paird = options.start()) {
      Set<String> listed = listed(options.socket());
      String removed = listed.iterator().next();
      deleteTree(capath);

      JsonNode answer =
          Pairctl.JSON.readTree(
              Pairctl.exchange(
                  options.socket(),
                  "{\"v\":1,\"command\":\"remove\",\"args\":{\"fingerprint\":\""
                      + removed
                      + "\"}}\n"));

      assertThat(answer.path("ok").booleanValue()).as("answer %s", answer).isTrue();
      Set<String> inCapath = new TreeSet<>();
      try (Stream<Path> files = Files.list(capath)) {
        for (Path file : files.toList()) {
          inCapath.addAll(pemFingerprints(file));
        }
      }
      listed.remove(removed);
      assertThat(inCapath).isEqualTo(listed);
    }
  }

  private static void deleteTree(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : files.toList()) {
        Files.delete(file);
      }
    }
    Files.delete(directory);
  }

  private static Set<String> listed(Path socket) throws Exception {
    JsonNode answer =
        Pairctl.JSON.readTree(Pairctl.exchange(socket, "{\"v\":1,\"command\":\"list-trusted\"}\n"));
    Set<String> out = new TreeSet<>();
    for (JsonNode peer : answer.path("result").path("peers")) {
      out.add(peer.path("fingerprint").textValue());
    }
    assertThat(out).hasSize(6);
    return out;
  }

  private static Set<String> pemFingerprints(Path pem) throws Exception {
    Set<String> out = new TreeSet<>();
    try (InputStream in = Files.newInputStream(pem)) {
      for (Certificate certificate :
          CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        out.add(
            HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded())));
      }
    }
    return out;
  }

  private static String mode(Path file) {
    try {
      return PosixFilePermissions.toString(
          Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
