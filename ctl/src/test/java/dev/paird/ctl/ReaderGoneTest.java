package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

final class ReaderGoneTest {
  @Test
  void blocking_flagsWithoutNonBlock_isTrue() {
    assertThat(ReaderGone.blocking(List.of("pos:\t0", "flags:\t0100001", "mnt_id:\t16"))).isTrue();
  }

  /** A non-blocking pipe may only be full: its reader may still be there. */
  @Test
  void blocking_nonBlockingPipe_isFalse() {
    assertThat(ReaderGone.blocking(List.of("pos:\t0", "flags:\t0104001", "mnt_id:\t16"))).isFalse();
  }

  @Test
  void blocking_noFlags_isFalse() {
    assertThat(ReaderGone.blocking(List.of("pos:\t0"))).isFalse();
  }
}
