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

  /** Runs to the end; {@code tamper} may replace server frames on their way to the client. */
  Exchange run(
      ClientSession client, ServerSession server, java.util.function.UnaryOperator<Frame> tamper)
      throws Exception {
    List<Frame> toServer = new ArrayList<>(send(client.start(), clientFrames));
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
      }
    }
    return this;
  }

  Exchange run(ClientSession client, ServerSession server) throws Exception {
    return run(client, server, frame -> frame);
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
