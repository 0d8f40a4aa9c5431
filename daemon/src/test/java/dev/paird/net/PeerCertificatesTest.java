package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.identity.Certificates;
import dev.paird.protocol.KeyLedger;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

final class PeerCertificatesTest {

  @Test
  void peer_fixtureCertificate_namesItsFingerprintAndSubject() throws Exception {
    byte[] der = fixture("/protocol/client.pem");

    KeyLedger.Peer peer = PeerCertificates.peer(der);

    // As openssl x509 -subject -fingerprint -sha256 -nameopt RFC2253 prints them.
    assertThat(peer.fingerprint())
        .isEqualTo("466055dec007627e02c34fefb8e8f1bc63786e7dbb36d5b66f6e9ecb113610ca");
    assertThat(peer.subject()).isEqualTo("CN=client.example");
  }

  @Test
  void subject_truncatedCertificate_isEmpty() throws Exception {
    byte[] der = fixture("/protocol/client.pem");
    byte[] truncated = Arrays.copyOf(der, der.length / 2);

    assertThat(PeerCertificates.subject(truncated)).isEmpty();
    assertThat(PeerCertificates.peer(truncated).fingerprint())
        .isEqualTo(Certificates.fingerprint(truncated));
  }

  private static byte[] fixture(String name) throws Exception {
    try (InputStream in = PeerCertificatesTest.class.getResourceAsStream(name)) {
      String pem = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      return Certificates.parsePem(pem).getEncoded();
    }
  }
}
