package dev.paird.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.HmacCode;
import dev.paird.api.PairingCode;
import dev.paird.identity.Certificates;
import dev.paird.testing.ProtocolDoc;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Checks every value of the hmac worked example in docs/PROTOCOL.md against the code. */
final class HmacWorkedExampleTest {
  private static final HexFormat HEX = HexFormat.of();
  private final Map<String, String> doc = ProtocolDoc.section("Worked example: hmac");

  @Test
  void documentedValues_matchTheImplementation() throws Exception {
    HmacCode key = HmacCode.create(HEX.parseHex(doc.get("K")));
    assertThat(key.format()).isEqualTo(doc.get("typed_key"));
    assertThat(((HmacCode) PairingCode.parse(doc.get("typed_key"))).keyBytes())
        .isEqualTo(HEX.parseHex(doc.get("K")));

    byte[] m1 = HmacSuite.request(key, Fixtures.HONEST);
    byte[] m2 = HmacSuite.response(key, Fixtures.HONEST);

    assertThat(HEX.formatHex(m1)).isEqualTo(doc.get("m1"));
    assertThat(HEX.formatHex(m2)).isEqualTo(doc.get("m2"));
    assertThat(HEX.formatHex(Frames.encode(Frame.of(FrameType.HMAC_REQUEST, m1))))
        .isEqualTo(doc.get("frame_m1"));
    assertThat(HEX.formatHex(Frames.encode(Frame.of(FrameType.HMAC_RESPONSE, m2))))
        .isEqualTo(doc.get("frame_m2"));
  }

  @Test
  void documentedExchange_runsThroughTheSessions() throws Exception {
    HmacCode key = HmacCode.create(HEX.parseHex(doc.get("K")));
    ClientSession client = ClientSession.hmac(key, Fixtures.HONEST);

    Step first = client.start();
    Step last =
        client.onFrame(
            Frames.decode(java.nio.ByteBuffer.wrap(HEX.parseHex(doc.get("frame_m2"))))
                .orElseThrow());

    assertThat(HEX.formatHex(Frames.encode(first.send().get(0)))).isEqualTo(doc.get("frame_m1"));
    assertThat(last.next()).isInstanceOf(Step.PersistTrust.class);
  }

  @Test
  void documentedCertificates_areTheFixtures() {
    Map<String, String> certificates = ProtocolDoc.section("Worked example certificates");
    assertThat(Certificates.fingerprint(Fixtures.CLIENT_DER))
        .isEqualTo(certificates.get("client_fingerprint"));
    assertThat(Certificates.fingerprint(Fixtures.SERVER_DER))
        .isEqualTo(certificates.get("server_fingerprint"));
    String text = read();
    assertThat(text).contains(Fixtures.resource("/protocol/client.pem").strip());
    assertThat(text).contains(Fixtures.resource("/protocol/server.pem").strip());
  }

  private static String read() {
    try {
      return java.nio.file.Files.readString(ProtocolDoc.path());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
