package dev.paird.protocol;

import dev.paird.api.HmacCode;
import dev.paird.api.PairingCode;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The pending keys as a {@link ServerSession} uses them: it redeems an hmac key, or reserves an
 * attempt on a spake2 key, and later says how the pairing ended. The protocol owns this interface
 * and the key store implements it, so that the core depends on no store, lock or clock.
 *
 * <p>An implementation guarantees: a key is claimed at most once, however many sessions race for
 * it; a failed hmac redemption counts an attempt against every pending hmac key; a spake2 attempt
 * is counted when it is reserved; a key is wiped once its claim is settled. It does not guarantee
 * that a key reserved for an attempt is still there when the attempt succeeds.
 */
public interface KeyLedger {

  /**
   * Claims the pending hmac key for which {@code matches} holds; if none does, counts a failed
   * attempt against every pending hmac key. {@code matches} is evaluated for every pending hmac
   * key, so the time taken does not depend on which key matched.
   */
  Optional<Claim> redeemHmac(Predicate<HmacCode> matches);

  /**
   * Reserves one attempt on the spake2 key in {@code slot}. Empty if there is no usable spake2 key
   * there; the caller then runs the exchange with a random password, so that the peer cannot tell.
   */
  Optional<Spake2Attempt> beginSpake2(int slot);

  /**
   * The right to complete a pairing with one key. The holder computes its last message with {@link
   * #code()}, has the peer's trust persisted, then calls {@link #paired} or {@link #failed},
   * exactly once; either wipes the key.
   */
  interface Claim {
    /** The claimed key; valid until {@link #paired} or {@link #failed}. */
    PairingCode code();

    /** The peer is now trusted. */
    void paired(Peer peer);

    /** The pairing could not be completed after the key was claimed. */
    void failed();
  }

  /**
   * One spake2 exchange's use of a pending key, ended exactly once with {@link #succeeded()} or
   * {@link #failed()}.
   */
  interface Spake2Attempt {
    /** A copy of the key's secret digits (ASCII), for the password scalar; the caller wipes it. */
    byte[] secretDigits();

    /** The peer's confirmation verified: claims the key unless it went meanwhile. */
    Optional<Claim> succeeded();

    /** The confirmation did not verify, or the exchange broke off. */
    void failed();
  }

  /**
   * The device a key paired with, as {@code wait-key} names it. It is read from the peer's
   * certificate outside the protocol core, which never parses X.509.
   *
   * @param fingerprint the SHA-256 fingerprint of its certificate
   * @param subject its certificate's subject, or empty if it cannot be read
   */
  record Peer(String fingerprint, String subject) {}
}
