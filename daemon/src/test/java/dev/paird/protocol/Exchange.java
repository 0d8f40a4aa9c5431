package dev.paird.protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a client session against a server session in memory, carrying every frame through the wire
 * encoding, and records what was sent and what each side was asked to trust.
 */
final class Exchange {
  final List<Frame> clientFrames = new ArrayList<>();
  final List<Frame> serverFrames = new ArrayList<>();
  Step clientResult;
  Step serverResult;
  byte[] serverTrusted;
  byte[] clientTrusted;
  boolean serverPersistOk = true;
  boolean clientPersistOk = true;

  /** Whether each side is told to work while it waits, as the network driver does. */
  boolean whileWaiting = true;

  /** Runs to the end; {@code tamper} may replace server frames on their way to the client. */
  Exchange run(
      ClientSession client, ServerSession server, java.util.function.UnaryOperator<Frame> tamper)
      throws Exception {
    Step first = client.start();
    List<Frame> toServer = new ArrayList<>(send(first, clientFrames));
    waiting(client, first);
    while (!toServer.isEmpty()) {
      List<Frame> toClient = new ArrayList<>();
      for (Frame frame : toServer) {
        if (isOver(serverResult)) {
          break;
        }
        Step step = server.onFrame(wire(frame));
        if (step.next() instanceof Step.PersistTrust persist) {
          serverTrusted = persist.peerCertificate();
          step = server.persisted(serverPersistOk);
        }
        serverResult = step;
        toClient.addAll(send(step, serverFrames));
        waiting(server, step);
      }
      toServer = new ArrayList<>();
      for (Frame frame : toClient) {
        if (isOver(clientResult)) {
          break;
        }
        Step step = client.onFrame(wire(tamper.apply(frame)));
        if (step.next() instanceof Step.PersistTrust persist) {
          clientTrusted = persist.peerCertificate();
          step = client.persisted(clientPersistOk);
        }
        clientResult = step;
        toServer.addAll(send(step, clientFrames));
        waiting(client, step);
      }
    }
    return this;
  }

  Exchange run(ClientSession client, ServerSession server) throws Exception {
    return run(client, server, frame -> frame);
  }

  private void waiting(Session session, Step step) {
    if (whileWaiting && step.next() instanceof Step.AwaitFrame) {
      session.whileWaiting();
    }
  }

  /** Whether a side has finished, so that it reads no more frames. */
  private static boolean isOver(Step step) {
    return step != null
        && (step.next() instanceof Step.Succeeded || step.next() instanceof Step.Failed);
  }

  private static List<Frame> send(Step step, List<Frame> log) {
    log.addAll(step.send());
    return step.send();
  }

  private static Frame wire(Frame frame) throws MalformedFrameException {
    return Frames.decode(java.nio.ByteBuffer.wrap(Frames.encode(frame))).orElseThrow();
  }
}
