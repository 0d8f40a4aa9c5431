package dev.paird.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

final class WipingBufferTest {
  @Test
  void writesBeyondItsFirstArray_areTakenWhole_andLeaveItEmpty() {
    WipingBuffer buffer = new WipingBuffer();
    byte[] chunk = new byte[100];
    for (int i = 0; i < 10; i++) {
      java.util.Arrays.fill(chunk, (byte) ('a' + i));
      buffer.write(chunk, 0, chunk.length);
      buffer.write('\n');
    }

    assertThat(buffer.size()).isEqualTo(1010);
    byte[] taken = buffer.takeBytes();

    assertThat(taken).hasSize(1010);
    assertThat(taken[0]).isEqualTo((byte) 'a');
    assertThat(taken[1009]).isEqualTo((byte) '\n');
    assertThat(taken[1008]).isEqualTo((byte) 'j');
    assertThat(buffer.size()).isZero();
    assertThat(buffer.takeBytes()).isEmpty();
  }

  @Test
  void wipe_emptiesIt_andToStringShowsNoContent() {
    WipingBuffer buffer = new WipingBuffer();
    buffer.write("42-3141-5926-0".getBytes(StandardCharsets.US_ASCII), 0, 14);

    assertThat(buffer.toString()).doesNotContain("1234").contains("14 bytes");
    buffer.wipe();
    assertThat(buffer.size()).isZero();
  }
}
