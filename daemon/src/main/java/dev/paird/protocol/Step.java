package dev.paird.protocol;

import dev.paird.api.ErrorCode;
import dev.paird.api.Suite;
import java.util.List;
import java.util.Objects;

/**
 * What a session wants done after one input: frames to send, then what happens next.
 *
 * @param send frames to write, in order
 * @param next the session's state after those frames are sent
 */
public record Step(List<Frame> send, Next next) {

  public Step {
    send = List.copyOf(send);
    Objects.requireNonNull(next, "next");
  }

  /** What comes after a step. */
  public sealed interface Next {}

  /** Wait for the peer's next frame. */
  public record AwaitFrame() implements Next {}

  /**
   * The peer proved it knows the key: persist trust in {@code peerCertificate}, then report the
   * result with {@code persisted(...)}. Nothing more is sent until then.
   */
  public record PersistTrust(byte[] peerCertificate, Suite suite) implements Next {
    @Override
    public String toString() {
      return "PersistTrust[" + peerCertificate.length + " bytes, " + suite + "]";
    }
  }

  /** The exchange succeeded: flush and close. */
  public record Succeeded() implements Next {}

  /** The exchange failed: flush (an ERROR frame, usually) and close. */
  public record Failed(ErrorCode code, String message) implements Next {}

  static Step await(Frame... frames) {
    return new Step(List.of(frames), new AwaitFrame());
  }

  static Step succeed(Frame... frames) {
    return new Step(List.of(frames), new Succeeded());
  }

  static Step fail(ErrorCode code, String message, Frame... frames) {
    return new Step(List.of(frames), new Failed(code, message));
  }

  static Step persist(byte[] peerCertificate, Suite suite) {
    return new Step(List.of(), new PersistTrust(peerCertificate, suite));
  }
}
