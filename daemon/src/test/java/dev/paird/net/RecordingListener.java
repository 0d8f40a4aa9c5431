package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.PairdException;
import dev.paird.protocol.SessionCertificates;
import dev.paird.trust.TrustedPeer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A {@link SessionHandler.Listener} that keeps every outcome it hears, to check there is one. */
final class RecordingListener implements SessionHandler.Listener {

  /** One outcome: a failure, or a success and what it trusted. */
  record Heard(
      Optional<PairdException> failure,
      Optional<TrustedPeer> trusted,
      Optional<SessionCertificates> certificates) {}

  private final List<Heard> heard = new ArrayList<>();

  @Override
  public void succeeded(SessionCertificates certificates, Optional<TrustedPeer> trusted) {
    heard.add(new Heard(Optional.empty(), trusted, Optional.of(certificates)));
  }

  @Override
  public void failed(PairdException failure, Optional<SessionCertificates> certificates) {
    heard.add(new Heard(Optional.of(failure), Optional.empty(), certificates));
  }

  /** Everything heard so far, in order. */
  List<Heard> all() {
    return List.copyOf(heard);
  }

  /** The outcome; fails unless exactly one was heard. */
  Heard only() {
    assertThat(heard).as("outcomes reported").hasSize(1);
    return heard.get(0);
  }

  /** What the one outcome, a success, trusted; fails unless exactly one success was heard. */
  Optional<TrustedPeer> onlySuccess() {
    Heard only = only();
    assertThat(only.failure()).as("the outcome's failure").isEmpty();
    return only.trusted();
  }

  /** The one outcome, a failure; fails unless exactly one failure was heard. */
  PairdException onlyFailure() {
    Heard only = only();
    assertThat(only.failure()).as("the outcome's failure").isPresent();
    return only.failure().get();
  }
}
