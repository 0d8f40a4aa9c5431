package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nginx recipe's programs of docs/INTEGRATION.md, 40-device-copies and 50-nginx, read from the
 * document and run as paird-trust-changed.service runs them, with a systemctl that only notes its
 * call. 50-nginx runs as root on a file the user paird may replace: it copies the list only when
 * the file it opened is a regular file of that user, and reloads nginx only when the device's
 * certificate and key, which nginx reads as root, have been copied by 40-device-copies.
 */
final class NginxProgramTest {
  private static final String SITE =
      "# /etc/nginx/sites-available/paird, linked from sites-enabled/";
  private static final Pattern SITE_FILE =
      Pattern.compile(
          "^\\s*(ssl_certificate|ssl_certificate_key|ssl_client_certificate)\\s+(\\S+);");
  private static final String COPIES = "/var/lib/paird-trust-changed/";
  // What trust-changed gives a program in these tests: a program that waited for a FIFO's writer
  // would be stopped then, and would not refuse the file.
  private static final long PROMPTLY = 10;

  @TempDir Path dir;
  private Path state;
  private Path copies;
  private Path calls;
  private TrustChangedPrograms programs;

  @BeforeEach
  void setUp() throws IOException {
    state = TrustChangedPrograms.deviceState(dir);
    Files.writeString(state.resolve("trusted.pem"), "");
    Files.writeString(state.resolve("trusted.p12"), "v1");
    copies = Files.createDirectory(dir.resolve("paird-trust-changed"));
    calls = dir.resolve("systemctl-calls");
    programs =
        new TrustChangedPrograms(
            dir,
            "echo \"$*\" >> " + calls,
            TrustChangedPrograms.DEVICE_COPIES,
            TrustChangedPrograms.NGINX);
  }

  @Test
  void nginx_trustedCertificates_areCopiedAndNginxReloaded() throws Exception {
    Files.writeString(state.resolve("trusted.pem"), "the trusted certificates\n");

    TrustChangedPrograms.Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isZero();
    assertThat(siteFile("ssl_client_certificate")).hasContent("the trusted certificates");
    assertThat(siteFile("ssl_certificate")).hasContent("the device's own certificate");
    assertThat(siteFile("ssl_certificate_key")).hasContent("the device's key");
    assertThat(Files.readAllLines(calls)).containsExactly("reload nginx");
  }

  @Test
  void nginx_emptyList_copiesTheDevicesOwnCertificate() throws Exception {
    TrustChangedPrograms.Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isZero();
    assertThat(siteFile("ssl_client_certificate")).hasContent("the device's own certificate");
    assertThat(Files.readAllLines(calls)).containsExactly("reload nginx");
  }

  @Test
  void nginx_trustedPemLinksToAnotherUsersFile_copiesNothing() throws Exception {
    TrustChangedPrograms.replaceWithLink(state.resolve("trusted.pem"), Path.of("/etc/passwd"));

    TrustChangedPrograms.Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("trusted.pem is not a regular file of the user paird");
    assertListNotCopiedNorNginxReloaded();
  }

  @Test
  void nginx_trustedPemIsASparseGibibyte_copiesNothing() throws Exception {
    TrustChangedPrograms.makeSparseGibibyte(state.resolve("trusted.pem"));

    TrustChangedPrograms.Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("trusted.pem is not a regular file of the user paird");
    assertListNotCopiedNorNginxReloaded();
  }

  @Test
  void nginx_trustedPemIsAFifo_refusedWithoutWaitingForAWriter() throws Exception {
    Files.delete(state.resolve("trusted.pem"));
    TrustChangedPrograms.makeFifo(state.resolve("trusted.pem"));

    TrustChangedPrograms.Run run = run(PROMPTLY);

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("trusted.pem is not a regular file of the user paird");
    assertListNotCopiedNorNginxReloaded();
  }

  @Test
  void nginx_trustedPemLinksToAFifo_neverOpensIt() throws Exception {
    // Stands for a device whose opening has effects: /dev/watchdog, a tape that rewinds.
    try (BlockedFifoWriter writer = new BlockedFifoWriter(dir.resolve("device"))) {
      TrustChangedPrograms.replaceWithLink(state.resolve("trusted.pem"), dir.resolve("device"));

      TrustChangedPrograms.Run run = run(PROMPTLY);

      assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
      assertThat(run.output()).contains("trusted.pem is not a regular file of the user paird");
      assertThat(writer.blocked())
          .as("the writer, still waiting for anyone to open the FIFO")
          .isTrue();
      assertListNotCopiedNorNginxReloaded();
    }
  }

  @Test
  void nginx_noDeviceCopies_doesNotReloadNginx() throws Exception {
    // 40-device-copies refuses a key that is a link, and has never made copies before.
    TrustChangedPrograms.replaceWithLink(state.resolve("identity/key.pem"), Path.of("/etc/passwd"));
    Files.writeString(state.resolve("trusted.pem"), "the trusted certificates\n");

    TrustChangedPrograms.Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("50-nginx: no copies of the device's certificate and key");
    assertListNotCopiedNorNginxReloaded();
  }

  private void assertListNotCopiedNorNginxReloaded() {
    assertThat(siteFile("ssl_client_certificate")).doesNotExist();
    assertThat(calls).doesNotExist();
  }

  /**
   * Where the site of INTEGRATION.md has nginx read {@code directive}'s file, in this test's
   * directory of copies.
   */
  private Path siteFile(String directive) {
    try {
      List<String> site = TrustChangedPrograms.docBlock(SITE);
      for (String line : site) {
        Matcher m = SITE_FILE.matcher(line);
        if (m.find() && m.group(1).equals(directive)) {
          assertThat(m.group(2)).as("%s in the site", directive).startsWith(COPIES);
          return copies.resolve(m.group(2).substring(COPIES.length()));
        }
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    throw new AssertionError(directive + " is not in the site of INTEGRATION.md");
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
