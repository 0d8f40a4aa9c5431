package dev.paird.protocol;

/** One side of one pairing connection, driven by frames: the part both roles share. */
public interface Session {
  /** Handles one frame from the peer. */
  Step onFrame(Frame frame);

  /** Reports whether the trust asked for by {@link Step.PersistTrust} was saved. */
  Step persisted(boolean ok);

  /** The connection ended before the session did: release and wipe everything. */
  void abort();
}
