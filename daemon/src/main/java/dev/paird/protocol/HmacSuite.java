package dev.paird.protocol;

import dev.paird.api.HmacCode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The literal scheme's MACs:
 *
 * <pre>
 * m1 = HMAC-SHA256(K, "request"  || DER(client certificate) || DER(server certificate))
 * m2 = HMAC-SHA256(K, "response" || DER(client certificate) || DER(server certificate))
 * </pre>
 *
 * <p>K is the 16 key bytes; each side uses the certificates as observed in its own TLS session.
 * DER is self-delimiting, so the concatenation is unambiguous. The different labels keep m1 from
 * being replayed as m2. Whoever receives m1 can test guesses of K offline, which is why K must
 * be 128 bits (see docs/SECURITY.md).
 */
public final class HmacSuite {
  public static final int MAC_BYTES = 32;
  private static final byte[] REQUEST = "request".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] RESPONSE = "response".getBytes(StandardCharsets.US_ASCII);

  private HmacSuite() {}

  /** m1, sent by the client. */
  public static byte[] request(HmacCode key, SessionCertificates certificates) {
    return mac(key, REQUEST, certificates);
  }

  /** m2, sent by the server. */
  public static byte[] response(HmacCode key, SessionCertificates certificates) {
    return mac(key, RESPONSE, certificates);
  }

  /** Constant-time comparison of a received MAC with the expected one. */
  static boolean matches(byte[] expected, byte[] received) {
    return received.length == MAC_BYTES && MessageDigest.isEqual(expected, received);
  }

  private static byte[] mac(HmacCode key, byte[] label, SessionCertificates certificates) {
    byte[] keyBytes = key.keyBytes();
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(keyBytes, "HmacSHA256"));
      mac.update(label);
      mac.update(certificates.client());
      mac.update(certificates.server());
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java platform has HmacSHA256", e);
    } finally {
      java.util.Arrays.fill(keyBytes, (byte) 0);
    }
  }
}
