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

/**
 * The client side of one pairing connection, as pure computation: {@link #start()} gives the first
 * frame, each server frame gives the next {@link Step}. The client proves first; it trusts the
 * server only after checking the server's proof, and reports success only after that trust has been
 * persisted.
 *
 * <p>Not thread-safe: one session belongs to one connection.
 */
public final class ClientSession implements Session {
  private enum State {
    NEW,
    AWAIT_HMAC_RESPONSE,
    AWAIT_SPAKE2_SHARE,
    AWAIT_SPAKE2_CONFIRM,
    AWAIT_PONG,
    AWAIT_PERSIST,
    DONE
  }

  private final Suite suite; // null for ping
  private final SessionCertificates certificates;
  private final HmacCode hmacKey;
  private final Spake2Code spake2Code;
  private final boolean serverTrusted;
  private final SecureRandom random;

  private State state = State.NEW;
  private Spake2Party party;
  private Spake2Confirmation confirmation;

  private ClientSession(
      Suite suite,
      SessionCertificates certificates,
      HmacCode hmacKey,
      Spake2Code spake2Code,
      boolean serverTrusted,
      SecureRandom random) {
    this.suite = suite;
    this.certificates = certificates;
    this.hmacKey = hmacKey;
    this.spake2Code = spake2Code;
    this.serverTrusted = serverTrusted;
    this.random = random;
  }

  /** Pairs with the hmac suite; the caller keeps ownership of {@code key}. */
  public static ClientSession hmac(HmacCode key, SessionCertificates certificates) {
    return new ClientSession(Suite.HMAC, certificates, key, null, false, null);
  }

  /** Pairs with the spake2 suite; the caller keeps ownership of {@code code}. */
  public static ClientSession spake2(
      Spake2Code code, SessionCertificates certificates, SecureRandom random) {
    return new ClientSession(Suite.SPAKE2, certificates, null, code, false, random);
  }

  /**
   * Pairs with the spake2 suite, sending the share of {@code prepared}, which {@link
   * #prepareSpake2} made for {@code code}; the session owns {@code prepared} from here and destroys
   * it, the caller keeps ownership of {@code code}.
   *
   * @throws IllegalStateException if {@code prepared} was already used or destroyed
   */
  public static ClientSession spake2(
      Spake2Code code, PreparedSpake2 prepared, SessionCertificates certificates) {
    ClientSession session = new ClientSession(Suite.SPAKE2, certificates, null, code, false, null);
    session.party = prepared.take();
    return session;
  }

  /**
   * The client's side of a SPAKE2 run for {@code code}, with its share and everything of {@code
   * finish} that does not need the server's share already computed: for a client to make while the
   * TLS handshake runs, since none of it depends on the server's certificate. The caller passes it
   * to {@link #spake2(Spake2Code, PreparedSpake2, SessionCertificates)} or destroys it.
   */
  public static PreparedSpake2 prepareSpake2(Spake2Code code, SecureRandom random) {
    return new PreparedSpake2(party(code, random));
  }

  private static Spake2Party party(Spake2Code code, SecureRandom random) {
    byte[] secret = code.secretDigits();
    Spake2Scalar w = Spake2.passwordScalar(secret);
    Arrays.fill(secret, (byte) 0);
    try {
      Spake2Party party = Spake2.start(Spake2.Role.A, w, random); // computes the share
      party.precompute();
      return party;
    } finally {
      w.destroy();
    }
  }

  /**
   * A client's SPAKE2 side made ahead of its session ({@link #prepareSpake2}): used by one session,
   * or destroyed. It holds the run's secret scalar.
   */
  public static final class PreparedSpake2 {
    private Spake2Party party; // null once taken or destroyed

    private PreparedSpake2(Spake2Party party) {
      this.party = party;
    }

    private synchronized Spake2Party take() {
      if (party == null) {
        throw new IllegalStateException("prepared spake2 side was already used or destroyed");
      }
      Spake2Party taken = party;
      party = null;
      return taken;
    }

    /** Wipes the run's secrets, unless a session has taken them. */
    public synchronized void destroy() {
      if (party != null) {
        party.destroy();
        party = null;
      }
    }

    @Override
    public String toString() {
      return "PreparedSpake2[redacted]";
    }
  }

  /**
   * Asks the server whether it trusts this device; {@code serverTrusted} is whether this device
   * trusts the server's certificate.
   */
  public static ClientSession ping(SessionCertificates certificates, boolean serverTrusted) {
    return new ClientSession(null, certificates, null, null, serverTrusted, null);
  }

  /** The suite being run; empty for a ping. */
  public Optional<Suite> suite() {
    return Optional.ofNullable(suite);
  }

  /** The first frame to send, once the TLS handshake has completed. */
  public Step start() {
    if (state != State.NEW) {
      throw new IllegalStateException("session already started");
    }
    if (suite == null) {
      state = State.AWAIT_PONG;
      return Step.await(Frame.empty(FrameType.PING));
    }
    if (suite == Suite.HMAC) {
      state = State.AWAIT_HMAC_RESPONSE;
      return Step.await(Frame.of(FrameType.HMAC_REQUEST, HmacSuite.request(hmacKey, certificates)));
    }
    if (party == null) {
      party = party(spake2Code, random);
    }
    byte[] share = party.share();
    byte[] body = new byte[1 + share.length];
    body[0] = (byte) spake2Code.slot();
    System.arraycopy(share, 0, body, 1, share.length);
    state = State.AWAIT_SPAKE2_SHARE;
    return Step.await(Frame.of(FrameType.SPAKE2_CLIENT_SHARE, body));
  }

  /** Handles one frame from the server. */
  @Override
  public Step onFrame(Frame frame) {
    if (frame.type() == FrameType.ERROR && state != State.DONE) {
      return serverError(frame);
    }
    switch (state) {
      case AWAIT_HMAC_RESPONSE:
        if (frame.type() != FrameType.HMAC_RESPONSE) {
          return unexpected(frame);
        }
        if (!HmacSuite.matches(HmacSuite.response(hmacKey, certificates), frame.body())) {
          return notProven();
        }
        state = State.AWAIT_PERSIST;
        return Step.persist(certificates.server(), Suite.HMAC);
      case AWAIT_SPAKE2_SHARE:
        if (frame.type() != FrameType.SPAKE2_SERVER_SHARE) {
          return unexpected(frame);
        }
        try {
          confirmation =
              party.finish(
                  frame.body(),
                  certificates.client(),
                  certificates.server(),
                  PairingProtocol.SPAKE2_AAD);
        } catch (GeneralSecurityException e) {
          // Not a valid point, or one that makes the shared point K the identity.
          return finish(
              Step.fail(
                  ErrorCode.PROTOCOL_ERROR,
                  "the other device sent an invalid SPAKE2 share; nothing was trusted",
                  Frame.error(ErrorReason.MALFORMED)));
        } finally {
          if (party != null) { // finish() above has already destroyed it
            party.destroy();
            party = null;
          }
        }
        state = State.AWAIT_SPAKE2_CONFIRM;
        return Step.await(
            Frame.of(FrameType.SPAKE2_CLIENT_CONFIRM, confirmation.ownConfirmation()));
      case AWAIT_SPAKE2_CONFIRM:
        if (frame.type() != FrameType.SPAKE2_SERVER_CONFIRM) {
          return unexpected(frame);
        }
        if (!confirmation.verifyPeer(frame.body())) {
          return notProven();
        }
        state = State.AWAIT_PERSIST;
        return Step.persist(certificates.server(), Suite.SPAKE2);
      case AWAIT_PONG:
        if (frame.type() != FrameType.PONG) {
          return unexpected(frame);
        }
        if (!serverTrusted) {
          return finish(
              Step.fail(
                  ErrorCode.NOT_TRUSTED,
                  "the other device trusts this one, but this device does not trust the other's"
                      + " certificate; pair with it to trust it"));
        }
        return finish(Step.succeed());
      default:
        return unexpected(frame);
    }
  }

  /** Reports whether the server's trust (asked for by {@link Step.PersistTrust}) was saved. */
  @Override
  public Step persisted(boolean ok) {
    return ok ? saved(Optional.empty()) : saved(Optional.of("see the daemon's log"));
  }

  /**
   * Reports that the server's trust could not be saved: the failure is this device's own, so its
   * user is told what failed here, and not sent to look for it in the log.
   */
  @Override
  public Step persistFailed(String why) {
    return saved(Optional.of(why));
  }

  private Step saved(Optional<String> failure) {
    if (state != State.AWAIT_PERSIST) {
      throw new IllegalStateException("not waiting for trust to be persisted");
    }
    if (failure.isPresent()) {
      return finish(
          Step.fail(
              ErrorCode.INTERNAL,
              "the other device accepted the key and trusts this one, but this device could not save"
                  + " its trusted list, so it does not trust the other; once what failed is fixed,"
                  + " make a new key on the other device and pair again. What failed: "
                  + failure.get()));
    }
    return finish(Step.succeed());
  }

  /** The connection ended before the session did: forget everything. */
  @Override
  public void abort() {
    finish(null);
  }

  /** Whether the session has finished, successfully or not. */
  public boolean isDone() {
    return state == State.DONE;
  }

  private Step serverError(Frame frame) {
    Optional<ErrorReason> reason = frame.errorReason();
    if (reason.isEmpty()) {
      return finish(
          Step.fail(ErrorCode.PROTOCOL_ERROR, "the other device reported an unknown error"));
    }
    switch (reason.get()) {
      case REJECTED:
        return finish(
            Step.fail(
                ErrorCode.KEY_REJECTED,
                // What to do is the client's to say: pairctl's hint says it once.
                "the other device rejected the key: it was mistyped, expired, already used, or burned"
                    + " by failed attempts (the other device does not say which)"));
      case NOT_TRUSTED:
        return finish(
            Step.fail(
                ErrorCode.NOT_TRUSTED,
                serverTrusted
                    ? "this device trusts the other, but the other device does not trust this one;"
                        + " pair again to fix it"
                    : "neither device trusts the other; pair them first"));
      case BUSY:
        return finish(
            Step.fail(
                ErrorCode.BUSY,
                "the other device is busy: it closed this connection to make room for a newer"
                    + " one; try again in a minute"));
      case TIMEOUT:
        return finish(Step.fail(ErrorCode.TIMEOUT, "the other device gave up waiting"));
      case INTERNAL:
        return finish(
            Step.fail(
                ErrorCode.PEER_FAILED,
                "the other device accepted the key but could not save its trusted list; nothing was"
                    + " trusted here; see its log and pair again with a new key"));
      default:
        return finish(
            Step.fail(
                ErrorCode.PROTOCOL_ERROR,
                "the other device reported a protocol error (" + reason.get() + ")"));
    }
  }

  private Step notProven() {
    return finish(
        Step.fail(
            ErrorCode.KEY_REJECTED,
            "the other device's answer does not prove it knows the key: it may be an impostor, or"
                + " the key was wrong; nothing was trusted on this device",
            Frame.error(ErrorReason.REJECTED)));
  }

  private Step unexpected(Frame frame) {
    return finish(
        Step.fail(
            ErrorCode.PROTOCOL_ERROR,
            "the other device sent an unexpected " + frame.type() + " frame",
            Frame.error(ErrorReason.UNEXPECTED)));
  }

  private Step finish(Step step) {
    state = State.DONE;
    if (party != null) {
      party.destroy();
      party = null;
    }
    if (confirmation != null) {
      confirmation.destroy();
      confirmation = null;
    }
    return step;
  }

  @Override
  public String toString() {
    return "ClientSession[" + state + ", " + (suite == null ? "ping" : suite) + "]";
  }
}
