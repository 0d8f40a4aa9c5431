package dev.paird.attack;

import dev.paird.protocol.SessionCertificates;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The attacker's inner loop against the hmac suite: m1 for a guessed key, {@code HMAC-SHA256(key,
 * "request" || DER(client) || DER(server))} over the certificates of the session in which she
 * received the real m1. Plain JCA, re-keyed for every guess; nothing of one guess can be reused for
 * the next, because HMAC hashes the key first. Not thread-safe: one per thread.
 */
final class HmacGuess {
  static final int KEY_BYTES = 16;
  static final int MAC_BYTES = 32;

  private final Mac mac;
  private final byte[] message;

  HmacGuess(SessionCertificates observed) {
    byte[] label = "request".getBytes(StandardCharsets.US_ASCII);
    byte[] client = observed.client();
    byte[] server = observed.server();
    message =
        ByteBuffer.allocate(label.length + client.length + server.length)
            .put(label)
            .put(client)
            .put(server)
            .array();
    try {
      mac = Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java platform has HmacSHA256", e);
    }
  }

  /** Writes m1 for {@code key} into {@code out}, which has {@link #MAC_BYTES} bytes. */
  void m1(byte[] key, byte[] out) {
    try {
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update(message);
      mac.doFinal(out, 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 refused a 16-byte key", e);
    }
  }
}
