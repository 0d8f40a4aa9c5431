package dev.paird.attack;

import dev.paird.api.Spake2Code;
import dev.paird.protocol.ClientSession;
import dev.paird.protocol.Frame;
import dev.paird.protocol.Step;
import java.net.InetSocketAddress;
import java.security.SecureRandom;

/**
 * One online guess of a spake2 code at A: Mallory runs paird's own client session for her guess
 * over a connection of her own, one step at a time, so that a test can hold several guesses at the
 * same point of the exchange.
 */
final class OnlineGuess {
  private final AttackerConnection connection;
  private final ClientSession session;
  private Step pending;

  private OnlineGuess(AttackerConnection connection, ClientSession session, Step first) {
    this.connection = connection;
    this.session = session;
    this.pending = first;
  }

  /** Connects to {@code target} and sends the share for {@code guess}. */
  static OnlineGuess start(Mallory mallory, InetSocketAddress target, Spake2Code guess)
      throws Exception {
    AttackerConnection connection = mallory.connect(target);
    ClientSession session =
        ClientSession.spake2(guess, connection.certificates(), new SecureRandom());
    OnlineGuess online = new OnlineGuess(connection, session, session.start());
    online.sendPending();
    return online;
  }

  /**
   * Waits for A's share, which A sends only after it has counted the attempt, and prepares the
   * confirmation without sending it yet.
   */
  void awaitServerShare() throws InterruptedException {
    pending = session.onFrame(connection.receive());
  }

  /** Sends the confirmation and returns how the exchange ended for Mallory. */
  Step.Next finish() throws Exception {
    sendPending();
    Step.Next outcome = session.onFrame(connection.receive()).next();
    connection.awaitClosed();
    return outcome;
  }

  private void sendPending() {
    for (Frame frame : pending.send()) {
      connection.send(frame);
    }
  }
}
