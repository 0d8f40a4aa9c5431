package dev.paird.protocol;

import dev.paird.api.ErrorCode;
import dev.paird.api.HmacCode;
import dev.paird.api.Spake2Code;
import dev.paird.api.Suite;
import dev.paird.protocol.spake2.Spake2;
import dev.paird.protocol.spake2.Spake2Confirmation;
import dev.paird.protocol.spake2.Spake2Party;
import dev.paird.protocol.spake2.Spake2Scalar;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The server side of one pairing connection, as pure computation: frames in, {@link Step}s out. The
 * first frame chooses what the client wants: an hmac exchange, a spake2 exchange, or a ping.
 *
 * <p>Guarantees: a key is claimed only after the client proved it (m1, or the SPAKE2 confirmation);
 * trust is persisted before the server's proof (m2) is released; every failure, whatever its cause,
 * is answered with the same {@code ERROR REJECTED}, and a spake2 exchange for a slot without a
 * usable key runs with a random password so that it looks the same.
 *
 * <p>Not thread-safe: one session belongs to one connection and is driven from its event loop.
 */
public final class ServerSession implements Session {
  private enum State {
    AWAIT_FIRST,
    AWAIT_SPAKE2_CONFIRM,
    AWAIT_PERSIST,
    DONE
  }

  private final SessionCertificates certificates;
  private final KeyLedger.Peer client;
  private final KeyLedger keys;
  private final Predicate<byte[]> isTrusted;
  private final SecureRandom random;

  private State state = State.AWAIT_FIRST;
  private KeyLedger.Spake2Attempt attempt; // while a spake2 exchange holds one of a key's attempts
  private Spake2Party party; // from sending the server's share until the confirmation is computed
  private byte[] clientShare; // likewise
  private boolean invalidShare; // the client's share made K the identity
  private Spake2Confirmation confirmation;
  private KeyLedger.Claim claim;
  private Suite suite;

  /**
   * @param client the client's certificate as the key store reports it once paired, read from
   *     {@code certificates.client()} by the caller
   * @param isTrusted whether a DER certificate is in this device's trusted list (for ping)
   */
  public ServerSession(
      SessionCertificates certificates,
      KeyLedger.Peer client,
      KeyLedger keys,
      Predicate<byte[]> isTrusted,
      SecureRandom random) {
    this.certificates = certificates;
    this.client = client;
    this.keys = keys;
    this.isTrusted = isTrusted;
    this.random = random;
  }

  /** The suite the client chose, once its first frame has arrived. */
  public Optional<Suite> suite() {
    return Optional.ofNullable(suite);
  }

  /** Handles one frame from the client. */
  @Override
  public Step onFrame(Frame frame) {
    if (frame.type() == FrameType.ERROR && state != State.DONE) {
      // The client gave up: no answer; an attempt it reserved counts as failed.
      abort();
      return Step.fail(
          ErrorCode.PROTOCOL_ERROR,
          "the other device ended the exchange with "
              + frame.errorReason().map(ErrorReason::name).orElse("an unknown error"));
    }
    switch (state) {
      case AWAIT_FIRST:
        switch (frame.type()) {
          case HMAC_REQUEST:
            return hmacRequest(frame.body());
          case SPAKE2_CLIENT_SHARE:
            return spake2Share(frame.body());
          case PING:
            return ping();
          default:
            return unexpected(frame);
        }
      case AWAIT_SPAKE2_CONFIRM:
        if (frame.type() == FrameType.SPAKE2_CLIENT_CONFIRM) {
          return spake2Confirm(frame.body());
        }
        return unexpected(frame);
      default:
        return unexpected(frame);
    }
  }

  /**
   * Reports whether persisting the client's trust (asked for by {@link Step.PersistTrust})
   * succeeded; on success the server's proof is released.
   */
  @Override
  public Step persisted(boolean ok) {
    if (state != State.AWAIT_PERSIST) {
      throw new IllegalStateException("not waiting for trust to be persisted");
    }
    state = State.DONE;
    if (!ok) {
      claim.failed();
      wipe();
      return Step.fail(
          ErrorCode.INTERNAL, "could not save the trusted list", Frame.error(ErrorReason.INTERNAL));
    }
    Frame proof =
        suite == Suite.HMAC
            ? Frame.of(
                FrameType.HMAC_RESPONSE, HmacSuite.response((HmacCode) claim.code(), certificates))
            : Frame.of(FrameType.SPAKE2_SERVER_CONFIRM, confirmation.ownConfirmation());
    claim.paired(client);
    wipe();
    return Step.succeed(proof);
  }

  /**
   * The connection ended early (timeout, peer gone). A spake2 attempt in progress counts as a
   * failed one; a claimed key whose trust was not persisted is given up.
   */
  @Override
  public void abort() {
    if (state == State.DONE) {
      return;
    }
    state = State.DONE;
    if (attempt != null) {
      attempt.failed();
    }
    if (claim != null) {
      claim.failed();
    }
    wipe();
  }

  private Step hmacRequest(byte[] m1) {
    suite = Suite.HMAC;
    Optional<KeyLedger.Claim> claimed =
        keys.redeemHmac(key -> HmacSuite.matches(HmacSuite.request(key, certificates), m1));
    if (claimed.isEmpty()) {
      return reject("its m1 matched no pending hmac key");
    }
    claim = claimed.get();
    state = State.AWAIT_PERSIST;
    return Step.persist(certificates.client(), Suite.HMAC);
  }

  /**
   * Answers the client's share with the server's at once and leaves the rest of SPAKE2 (K, the
   * transcript, the keys) to {@link #whileWaiting}, which runs while the share travels and the
   * client computes its confirmation. A decoy exchange takes the same course.
   */
  private Step spake2Share(byte[] body) {
    suite = Suite.SPAKE2;
    int slot = body[0] & 0xff;
    byte[] share = Arrays.copyOfRange(body, 1, body.length);
    // Reserved first, as a share that fails its check counts as an attempt too.
    attempt = slot < Spake2Code.SLOTS ? keys.beginSpake2(slot).orElse(null) : null;
    try {
      Spake2.checkShare(share);
    } catch (GeneralSecurityException e) {
      return malformedShare();
    }
    byte[] secret = attempt != null ? attempt.secretDigits() : decoySecret();
    Spake2Scalar w = Spake2.passwordScalar(secret);
    Arrays.fill(secret, (byte) 0);
    party =
        Spake2.start(
            Spake2.Role.B,
            w,
            certificates.client(),
            certificates.server(),
            PairingProtocol.SPAKE2_AAD,
            random);
    w.destroy();
    clientShare = share;
    state = State.AWAIT_SPAKE2_CONFIRM;
    return Step.await(Frame.of(FrameType.SPAKE2_SERVER_SHARE, party.share()));
  }

  /** Computes the confirmations from the client's share, if the share has not been used yet. */
  @Override
  public void whileWaiting() {
    if (party == null) {
      return;
    }
    try {
      confirmation = party.finish(clientShare);
    } catch (GeneralSecurityException e) {
      invalidShare = true;
    } finally {
      party.destroy();
      party = null;
      clientShare = null;
    }
  }

  private Step malformedShare() {
    abort();
    return Step.fail(
        ErrorCode.PROTOCOL_ERROR,
        "client share is not a valid point",
        Frame.error(ErrorReason.MALFORMED));
  }

  private Step spake2Confirm(byte[] clientConfirmation) {
    whileWaiting(); // in case the driver did not call it
    if (invalidShare) {
      // The share was a point, but exactly w*M: only someone who knows the code sends that.
      return malformedShare();
    }
    boolean proven = confirmation.verifyPeer(clientConfirmation);
    if (attempt == null) {
      return reject("there was no usable spake2 key in the slot it named");
    }
    if (!proven) {
      return reject("its code was wrong");
    }
    Optional<KeyLedger.Claim> claimed = attempt.succeeded();
    attempt = null;
    if (claimed.isEmpty()) {
      return reject(
          "its code was right, but the key expired or another connection used it"
              + " during the exchange");
    }
    claim = claimed.get();
    state = State.AWAIT_PERSIST;
    return Step.persist(certificates.client(), Suite.SPAKE2);
  }

  private Step ping() {
    state = State.DONE;
    if (isTrusted.test(certificates.client())) {
      return Step.succeed(Frame.empty(FrameType.PONG));
    }
    return Step.fail(
        ErrorCode.NOT_TRUSTED,
        "ping from a certificate this device does not trust",
        Frame.error(ErrorReason.NOT_TRUSTED));
  }

  /**
   * Ends the exchange with the one answer every key failure gets on the wire. {@code why} is for
   * this device's log only; the peer never learns it.
   */
  private Step reject(String why) {
    abort();
    return Step.fail(ErrorCode.KEY_REJECTED, why, Frame.error(ErrorReason.REJECTED));
  }

  private Step unexpected(Frame frame) {
    abort();
    return Step.fail(
        ErrorCode.PROTOCOL_ERROR,
        "unexpected " + frame.type() + " frame",
        Frame.error(ErrorReason.UNEXPECTED));
  }

  /** A random secret for a slot without a usable key, so the exchange looks the same. */
  private byte[] decoySecret() {
    byte[] digits = new byte[Spake2Code.MAX_SECRET_DIGITS];
    for (int i = 0; i < digits.length; i++) {
      digits[i] = (byte) ('0' + random.nextInt(10));
    }
    return digits;
  }

  private void wipe() {
    if (party != null) {
      party.destroy();
      party = null;
      clientShare = null;
    }
    if (confirmation != null) {
      confirmation.destroy();
      confirmation = null;
    }
    attempt = null;
    claim = null;
  }

  @Override
  public String toString() {
    return "ServerSession[" + state + (suite == null ? "" : ", " + suite) + "]";
  }
}
