package dev.paird.protocol.spake2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.PairingCode;
import dev.paird.api.Spake2Code;
import dev.paird.identity.Certificates;
import dev.paird.protocol.Frame;
import dev.paird.protocol.FrameType;
import dev.paird.protocol.Frames;
import dev.paird.protocol.PairingProtocol;
import dev.paird.testing.ProtocolDoc;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Checks every value of the spake2 worked example in docs/PROTOCOL.md against the code. */
final class Spake2WorkedExampleTest {
  private static final HexFormat HEX = HexFormat.of();
  private final Map<String, String> doc = ProtocolDoc.section("Worked example: spake2");

  private static byte[] der(String resource) throws Exception {
    try (InputStream in = Spake2WorkedExampleTest.class.getResourceAsStream(resource)) {
      return Certificates.parsePem(new String(in.readAllBytes(), StandardCharsets.US_ASCII))
          .getEncoded();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void documentedValues_matchTheImplementation() throws Exception {
    byte[] client = der("/protocol/client.pem");
    byte[] server = der("/protocol/server.pem");
    Spake2Code code = (Spake2Code) PairingCode.parse(doc.get("typed_code"));
    assertThat(code.slot()).isEqualTo(Integer.parseInt(doc.get("slot")));
    assertThat(new String(code.secretDigits(), StandardCharsets.US_ASCII))
        .isEqualTo(doc.get("secret"));

    Spake2Scalar w = Spake2.passwordScalar(code.secretDigits());
    assertThat(HEX.formatHex(w.encoded())).isEqualTo(doc.get("w"));
    BigInteger x = new BigInteger(doc.get("x"), 16);
    BigInteger y = new BigInteger(doc.get("y"), 16);
    byte[] aad = PairingProtocol.SPAKE2_AAD;
    assertThat(new String(aad, StandardCharsets.US_ASCII)).isEqualTo(doc.get("AAD"));

    Spake2Party a = Spake2Party.create(Spake2.Role.A, w, client, server, aad, x);
    Spake2Party b = Spake2Party.create(Spake2.Role.B, w, client, server, aad, y);
    byte[] pA = a.share();
    byte[] pB = b.share();
    assertThat(HEX.formatHex(pA)).isEqualTo(doc.get("pA"));
    assertThat(HEX.formatHex(pB)).isEqualTo(doc.get("pB"));

    byte[] k = Spake2Party.sharedPoint(Spake2.Role.A, x, w.value(), pB);
    assertThat(HEX.formatHex(k)).isEqualTo(doc.get("K"));
    byte[] tt = KeySchedule.transcript(client, server, pA, pB, k, w.encoded());
    assertThat(tt.length).isEqualTo(Integer.parseInt(doc.get("TT_length")));
    assertThat(HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(tt)))
        .isEqualTo(doc.get("TT_sha256"));
    KeySchedule keys = KeySchedule.derive(tt, aad);
    assertThat(HEX.formatHex(keys.ke())).isEqualTo(doc.get("Ke"));
    assertThat(HEX.formatHex(keys.ka())).isEqualTo(doc.get("Ka"));
    assertThat(HEX.formatHex(keys.kcA())).isEqualTo(doc.get("KcA"));
    assertThat(HEX.formatHex(keys.kcB())).isEqualTo(doc.get("KcB"));

    Spake2Confirmation confirmA = a.finish(pB);
    Spake2Confirmation confirmB = b.finish(pA);
    byte[] cA = confirmA.ownConfirmation();
    byte[] cB = confirmB.ownConfirmation();
    assertThat(HEX.formatHex(cA)).isEqualTo(doc.get("cA"));
    assertThat(HEX.formatHex(cB)).isEqualTo(doc.get("cB"));
    assertThat(confirmA.verifyPeer(cB)).isTrue();
    assertThat(confirmB.verifyPeer(cA)).isTrue();

    byte[] shareBody = new byte[66];
    shareBody[0] = (byte) code.slot();
    System.arraycopy(pA, 0, shareBody, 1, 65);
    assertThat(hex(Frame.of(FrameType.SPAKE2_CLIENT_SHARE, shareBody)))
        .isEqualTo(doc.get("frame_client_share"));
    assertThat(hex(Frame.of(FrameType.SPAKE2_SERVER_SHARE, pB)))
        .isEqualTo(doc.get("frame_server_share"));
    assertThat(hex(Frame.of(FrameType.SPAKE2_CLIENT_CONFIRM, cA)))
        .isEqualTo(doc.get("frame_client_confirm"));
    assertThat(hex(Frame.of(FrameType.SPAKE2_SERVER_CONFIRM, cB)))
        .isEqualTo(doc.get("frame_server_confirm"));
  }

  private static String hex(Frame frame) {
    return HEX.formatHex(Frames.encode(frame));
  }

  /** Prints the example's values; run it to regenerate the document after a deliberate change. */
  public static void main(String[] args) throws Exception {
    byte[] client = der("/protocol/client.pem");
    byte[] server = der("/protocol/server.pem");
    Spake2Code code =
        Spake2Code.create(Integer.parseInt(args[0]), args[1].getBytes(StandardCharsets.US_ASCII));
    BigInteger x = new BigInteger(args[2], 16);
    BigInteger y = new BigInteger(args[3], 16);
    Spake2Scalar w = Spake2.passwordScalar(code.secretDigits());
    byte[] aad = PairingProtocol.SPAKE2_AAD;
    Spake2Party a = Spake2Party.create(Spake2.Role.A, w, client, server, aad, x);
    Spake2Party b = Spake2Party.create(Spake2.Role.B, w, client, server, aad, y);
    byte[] pA = a.share();
    byte[] pB = b.share();
    byte[] k = Spake2Party.sharedPoint(Spake2.Role.A, x, w.value(), pB);
    byte[] tt = KeySchedule.transcript(client, server, pA, pB, k, w.encoded());
    KeySchedule keys = KeySchedule.derive(tt, aad);
    byte[] cA = keys.confirmation(Spake2.Role.A);
    byte[] cB = keys.confirmation(Spake2.Role.B);
    byte[] shareBody = new byte[66];
    shareBody[0] = (byte) code.slot();
    System.arraycopy(pA, 0, shareBody, 1, 65);
    String[][] rows = {
      {"typed_code", code.format()},
      {"w", HEX.formatHex(w.encoded())},
      {"pA", HEX.formatHex(pA)},
      {"pB", HEX.formatHex(pB)},
      {"K", HEX.formatHex(k)},
      {"TT_length", Integer.toString(tt.length)},
      {"TT_sha256", HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(tt))},
      {"Ke", HEX.formatHex(keys.ke())},
      {"Ka", HEX.formatHex(keys.ka())},
      {"KcA", HEX.formatHex(keys.kcA())},
      {"KcB", HEX.formatHex(keys.kcB())},
      {"cA", HEX.formatHex(cA)},
      {"cB", HEX.formatHex(cB)},
      {"frame_client_share", hex(Frame.of(FrameType.SPAKE2_CLIENT_SHARE, shareBody))},
      {"frame_server_share", hex(Frame.of(FrameType.SPAKE2_SERVER_SHARE, pB))},
      {"frame_client_confirm", hex(Frame.of(FrameType.SPAKE2_CLIENT_CONFIRM, cA))},
      {"frame_server_confirm", hex(Frame.of(FrameType.SPAKE2_SERVER_CONFIRM, cB))},
    };
    for (String[] row : rows) {
      System.out.println(row[0] + " = " + row[1]);
    }
  }
}
