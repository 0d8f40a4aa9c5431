package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.Suite;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A certificate withdrawn in place ({@link WrittenOutputs}): what each state of the write leaves is
 * read by OpenSSL, as nginx, curl and the others read {@code trusted.pem}, without the withdrawn
 * certificate and with every other; and files that are not what paird wrote are left alone.
 * ConsumerFilesTest reads the finished withdrawal with every tool, GoTlsRecipeTest with Go.
 */
final class WrittenOutputsTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final List<X509Certificate> CERTS = TestCertificates.selfSigned("withdrawn", 3);

  @TempDir Path dir;

  private Path pem() {
    return dir.resolve(TrustFiles.PEM_NAME);
  }

  private Path pkcs12() {
    return dir.resolve(ConsumerFiles.PKCS12_NAME);
  }

  private List<TrustedPeer> trustAll() throws Exception {
    TrustStore store = TrustStore.open(dir);
    for (X509Certificate certificate : CERTS) {
      store.put(certificate, "host", Suite.SPAKE2, Optional.empty(), T0);
    }
    return store.list();
  }

  @Test
  void withdrawnPem_changesTheCommentAndOneByteOfEachBoundaryOnly() throws Exception {
    TrustedPeer peer = trustAll().get(1);
    PeerEncodings.Encoded encoded = new PeerEncodings().of(peer);
    byte[] entry = encoded.pemEntry();

    byte[] replacement = WrittenOutputs.withdrawnPem(encoded);

    byte[] after = entry.clone();
    System.arraycopy(replacement, 0, after, 2, replacement.length);
    String text = new String(after, StandardCharsets.US_ASCII);
    assertThat(text)
        .startsWith("# " + WrittenOutputs.WITHDRAWN_COMMENT)
        .contains("\n#----BEGIN CERTIFICATE-----\n", "\n#----END CERTIFICATE-----\n")
        .doesNotContain("-----BEGIN", "-----END", peer.fingerprint());
    assertThat(after).hasSameSizeAs(entry);
    int start = encoded.pemStart();
    assertThat(Arrays.copyOfRange(after, start + 1, entry.length - 26))
        .as("the certificate's base64 lines, unchanged")
        .isEqualTo(Arrays.copyOfRange(entry, start + 1, entry.length - 26));
  }

  @Test
  void tornWithdrawal_beginLineChangedAlone_isReadByOpenSslWithoutTheCertificate()
      throws Exception {
    List<TrustedPeer> peers = trustAll();
    TrustedPeer withdrawn = peers.get(1);
    PeerEncodings.Encoded encoded = new PeerEncodings().of(withdrawn);
    byte[] bundle = Files.readAllBytes(pem());
    int at = indexOf(bundle, encoded.pemEntry());
    // What a torn write or a reader in the middle of the copy can see: the comment and the BEGIN
    // line written, the END line not yet.
    byte[] replacement = WrittenOutputs.withdrawnPem(encoded);
    int beginHyphen = encoded.pemStart() - 2;
    System.arraycopy(replacement, 0, bundle, at + 2, beginHyphen + 1);
    Files.write(pem(), bundle);

    assertThat(opensslVerify(peers.get(0))).isTrue();
    assertThat(opensslVerify(peers.get(2))).isTrue();
    assertThat(opensslVerify(withdrawn)).as("the withdrawn certificate").isFalse();
    // Java's PEM reader refuses the whole bundle rather than trust anything in it.
    try (InputStream in = Files.newInputStream(pem())) {
      assertThatThrownBy(() -> CertificateFactory.getInstance("X.509").generateCertificates(in))
          .isInstanceOf(CertificateException.class);
    }
  }

  @Test
  void withdraw_filesNotAsWritten_changesNothing_andSaysSo() throws Exception {
    List<TrustedPeer> peers = trustAll();
    WrittenOutputs written = WrittenOutputs.of(peers);
    PeerEncodings encodings = new PeerEncodings();
    Files.writeString(pem(), "# a line added by hand\n" + Files.readString(pem()));
    byte[] pemBefore = Files.readAllBytes(pem());
    byte[] pkcs12Before = Files.readAllBytes(pkcs12());

    assertThat(written.withdraw(pem(), pkcs12(), peers.get(1), encodings)).isFalse();

    assertThat(pem()).hasBinaryContent(pemBefore);
    assertThat(pkcs12()).hasBinaryContent(pkcs12Before);
  }

  @Test
  void withdraw_samePeerTwice_theSecondFindsNothingToDo() throws Exception {
    List<TrustedPeer> peers = trustAll();
    WrittenOutputs written = WrittenOutputs.of(peers);
    PeerEncodings encodings = new PeerEncodings();

    assertThat(written.withdraw(pem(), pkcs12(), peers.get(0), encodings)).isTrue();
    byte[] pemBefore = Files.readAllBytes(pem());
    assertThat(written.withdraw(pem(), pkcs12(), peers.get(0), encodings)).isFalse();
    // A later withdrawal finds the others where they were, past the withdrawn entry.
    assertThat(written.withdraw(pem(), pkcs12(), peers.get(2), encodings)).isTrue();

    assertThat(pem()).hasSize(pemBefore.length);
    assertThat(TestCertificates.bundleFingerprints(pem()))
        .containsExactly(peers.get(1).fingerprint());
    assertThat(opensslVerify(peers.get(1))).isTrue();
    assertThat(opensslVerify(peers.get(0))).isFalse();
    assertThat(opensslVerify(peers.get(2))).isFalse();
  }

  /** Whether {@code openssl verify -CAfile trusted.pem} accepts the peer's certificate. */
  private boolean opensslVerify(TrustedPeer peer) throws Exception {
    return TestCertificates.opensslVerifies(
        dir, peer.certificate(), "-no-CApath", "-CAfile", pem().toString());
  }

  private static int indexOf(byte[] in, byte[] what) {
    for (int i = 0; i <= in.length - what.length; i++) {
      if (Arrays.equals(in, i, i + what.length, what, 0, what.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }
}
