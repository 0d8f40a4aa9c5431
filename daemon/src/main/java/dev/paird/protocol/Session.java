package dev.paird.protocol;

/** One side of one pairing connection, driven by frames: the part both roles share. */
public interface Session {
  /** Handles one frame from the peer. */
  Step onFrame(Frame frame);

  /** Reports whether the trust asked for by {@link Step.PersistTrust} was saved. */
  Step persisted(boolean ok);

  /**
   * Reports that the trust asked for by {@link Step.PersistTrust} could not be saved, and why, in
   * words for this device's user; a session that tells nobody here ignores the reason.
   */
  default Step persistFailed(String why) {
    return persisted(false);
  }

  /** The connection ended before the session did: release and wipe everything. */
  void abort();

  /**
   * Work the session can do while the frames of a {@link Step.AwaitFrame} step travel and the peer
   * computes its answer, so that the answer is not kept waiting for it. The driver calls it once
   * after writing and flushing such a step's frames; a session must also be correct if it is never
   * called.
   */
  default void whileWaiting() {}
}
