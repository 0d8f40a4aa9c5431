package dev.paird.protocol.spake2;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * The end of one SPAKE2 run's key exchange: this side's key confirmation to send, the check of the
 * peer's, and the shared key Ke once that check has passed (RFC 9382 section 4).
 *
 * <p>What it guarantees: {@link #verifyPeer} accepts only the peer's confirmation for this very
 * transcript, which an attacker can produce only by having guessed w for this run, and it compares
 * in constant time. The shared key is released only after the peer's confirmation has been checked
 * and found right: until then this side cannot know that anyone else holds the same key, which is
 * why RFC 9382 makes key confirmation mandatory. One check per run: after a failed check everything
 * is wiped, so a run cannot be made to test several confirmations.
 *
 * <p>What it does not guarantee: it does not say which side should confirm first, nor keep the peer
 * from seeing this side's confirmation before the check; either order gives an attacker one guess
 * per run and no more. {@link #destroy()} wipes the arrays held here and nothing else.
 *
 * <p>Thread-safe, for the same reason as {@link Spake2Party}.
 */
public final class Spake2Confirmation {
  private enum State {
    UNCHECKED,
    CONFIRMED,
    REJECTED,
    DESTROYED
  }

  private final Spake2.Role role;
  private final byte[] ownConfirmation;
  private final byte[] peerConfirmation;
  private final byte[] sharedKey;
  private State state = State.UNCHECKED;

  Spake2Confirmation(Spake2.Role role, KeySchedule keys) {
    this.role = role;
    this.ownConfirmation = keys.confirmation(role).clone();
    this.peerConfirmation = keys.confirmation(other(role)).clone();
    this.sharedKey = keys.ke().clone();
  }

  private static Spake2.Role other(Spake2.Role role) {
    return role == Spake2.Role.A ? Spake2.Role.B : Spake2.Role.A;
  }

  /** This side's role. */
  public Spake2.Role role() {
    return role;
  }

  /**
   * This side's confirmation, {@code HMAC(KcA, TT)} for A and {@code HMAC(KcB, TT)} for B, of
   * {@link Spake2#CONFIRMATION_BYTES} bytes. A copy.
   *
   * @throws IllegalStateException once the peer's confirmation has failed, or after {@link
   *     #destroy()}
   */
  public synchronized byte[] ownConfirmation() {
    checkUsable();
    return ownConfirmation.clone();
  }

  /**
   * Whether {@code peerConfirmation} is the peer's confirmation for this run: right length and,
   * compared in constant time, right bytes. May be called once; if it returns false the run is over
   * and its secrets are wiped.
   *
   * @throws IllegalStateException if called a second time, or after {@link #destroy()}
   */
  public synchronized boolean verifyPeer(byte[] peerConfirmation) {
    Objects.requireNonNull(peerConfirmation, "peerConfirmation");
    if (state != State.UNCHECKED) {
      throw new IllegalStateException(
          state == State.DESTROYED
              ? "spake2 confirmation was destroyed"
              : "spake2 peer confirmation was already checked");
    }
    boolean right =
        peerConfirmation.length == this.peerConfirmation.length
            && MessageDigest.isEqual(this.peerConfirmation, peerConfirmation);
    if (right) {
      state = State.CONFIRMED;
    } else {
      wipe();
      state = State.REJECTED;
    }
    return right;
  }

  /**
   * The shared secret Ke, {@link Spake2#SHARED_KEY_BYTES} bytes. A copy; the caller wipes it.
   *
   * @throws IllegalStateException unless {@link #verifyPeer} has returned true, or after {@link
   *     #destroy()}
   */
  public synchronized byte[] sharedKey() {
    if (state != State.CONFIRMED) {
      throw new IllegalStateException(
          state == State.DESTROYED
              ? "spake2 confirmation was destroyed"
              : "spake2 shared key is released only after the peer's confirmation verified");
    }
    return sharedKey.clone();
  }

  /** Wipes the keys and confirmations. Nothing can be read afterwards. */
  public synchronized void destroy() {
    wipe();
    state = State.DESTROYED;
  }

  private void wipe() {
    Arrays.fill(ownConfirmation, (byte) 0);
    Arrays.fill(peerConfirmation, (byte) 0);
    Arrays.fill(sharedKey, (byte) 0);
  }

  private void checkUsable() {
    if (state == State.REJECTED) {
      throw new IllegalStateException("spake2 peer confirmation failed; the run is over");
    }
    if (state == State.DESTROYED) {
      throw new IllegalStateException("spake2 confirmation was destroyed");
    }
  }

  @Override
  public synchronized String toString() {
    return "Spake2Confirmation[role=" + role + ", state=" + state + "]";
  }
}
