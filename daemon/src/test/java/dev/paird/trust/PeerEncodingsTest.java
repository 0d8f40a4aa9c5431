package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.Suite;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

final class PeerEncodingsTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  @Test
  void encodeAll_onTwoThreads_isWhatEachPeerAloneEncodesTo() {
    List<TrustedPeer> peers = new ArrayList<>();
    for (X509Certificate certificate : TestCertificates.selfSigned("many", 41)) {
      peers.add(TrustedPeer.create(certificate, "host", Suite.HMAC, Optional.empty(), T0));
    }
    PeerEncodings together = new PeerEncodings();

    together.encodeAll(peers);

    for (TrustedPeer peer : peers) {
      PeerEncodings.Encoded alone = new PeerEncodings().of(peer);
      PeerEncodings.Encoded encoded = together.of(peer);
      assertThat(encoded.pemEntry()).isEqualTo(alone.pemEntry());
      assertThat(encoded.pemStart()).isEqualTo(alone.pemStart());
      assertThat(encoded.subjectHash()).isEqualTo(alone.subjectHash());
      assertThat(encoded.pkcs12Entry()).isEqualTo(alone.pkcs12Entry());
    }
  }
}
