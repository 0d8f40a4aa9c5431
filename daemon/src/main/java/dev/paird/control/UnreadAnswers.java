package dev.paird.control;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the bytes of long answers that paird holds, across all its control connections, because
 * their clients have not read them yet. Each connection stops running requests while more than
 * {@link ControlServer#UNREAD_ANSWER_BYTES} of its answers wait (ControlHandler), but one answer
 * may be longer than that by itself: {@code list-trusted} of 10,000 peers is 3 to 10 MB, and a
 * client that asks for it on each of its connections and reads none would have paird hold them all,
 * beyond its direct memory. An answer longer than {@link #SHORT} takes its length from this bound
 * until it has been written; one that does not fit is not sent, and its request is answered {@code
 * busy} instead. Shorter answers are never refused: the per-connection limit bounds them.
 */
final class UnreadAnswers {
  /**
   * The bytes of long answers held for all clients together: a quarter of paird's direct memory.
   */
  static final long BOUND = 32L << 20;

  /** An answer no longer than this is always sent. */
  static final int SHORT = ControlServer.UNREAD_ANSWER_BYTES;

  private final AtomicLong held = new AtomicLong();

  /** Takes {@code bytes} from the bound; false, taking nothing, if they do not fit. */
  boolean take(int bytes) {
    long now;
    do {
      now = held.get();
      if (now + bytes > BOUND) {
        return false;
      }
    } while (!held.compareAndSet(now, now + bytes));
    return true;
  }

  /** Gives back what {@link #take} took, once its answer has been written or dropped. */
  void give(int bytes) {
    held.addAndGet(-bytes);
  }

  /** The bytes held now. */
  long held() {
    return held.get();
  }
}
