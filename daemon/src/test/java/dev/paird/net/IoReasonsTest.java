package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

final class IoReasonsTest {

  @Test
  void of_nativeCallPrefix_isDropped() {
    assertThat(IoReasons.of(new ConnectException("finishConnect(..) failed: Connection refused")))
        .contains("Connection refused");
  }

  @Test
  void of_plainIoException_keepsItsText() {
    assertThat(IoReasons.of(new IOException("Broken pipe"))).contains("Broken pipe");
  }

  @Test
  void of_programmingError_givesNothing() {
    assertThat(IoReasons.of(new NullPointerException("Cannot load from object array"))).isEmpty();
    assertThat(IoReasons.of(new IOException())).isEmpty();
  }
}
