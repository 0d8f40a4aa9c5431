package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.protocol.ErrorReason;
import dev.paird.protocol.Frame;
import dev.paird.protocol.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

final class FrameEncoderTest {
  private final EmbeddedChannel channel = new EmbeddedChannel(FrameEncoder.INSTANCE);

  @AfterEach
  void release() {
    channel.finishAndReleaseAll();
  }

  @Test
  void encode_emptyFrame_isTypeAndZeroLength() {
    channel.writeOutbound(Frame.empty(FrameType.PONG));

    assertThat(written()).containsExactly(0x22, 0x00, 0x00);
  }

  @Test
  void encode_errorFrame_isTypeLengthOneAndReason() {
    channel.writeOutbound(Frame.error(ErrorReason.NOT_TRUSTED));

    assertThat(written()).containsExactly(0x7f, 0x00, 0x01, 0x06);
  }

  @Test
  void encode_frameWithBody_isHeaderThenBodyUnchanged() {
    byte[] body = new byte[65];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) (i * 7);
    }

    channel.writeOutbound(Frame.of(FrameType.SPAKE2_SERVER_SHARE, body));

    byte[] wire = writtenBytes();
    assertThat(Arrays.copyOf(wire, 3)).containsExactly(0x12, 0x00, 65);
    assertThat(Arrays.copyOfRange(wire, 3, wire.length)).isEqualTo(body);
  }

  @Test
  void encode_thenDecode_givesBackEveryTypeOfFrame() {
    List<Frame> frames = new ArrayList<>();
    for (FrameType type : FrameType.values()) {
      frames.add(
          type == FrameType.ERROR
              ? Frame.error(ErrorReason.BUSY)
              : Frame.of(type, filled(type.bodyLength(), type.code())));
    }
    EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());
    try {
      frames.forEach(channel::writeOutbound);
      for (Object buf; (buf = channel.readOutbound()) != null; ) {
        decoder.writeInbound(buf);
      }

      List<Frame> decoded = new ArrayList<>();
      for (Object frame; (frame = decoder.readInbound()) != null; ) {
        decoded.add((Frame) frame);
      }
      assertThat(decoded).isEqualTo(frames);
    } finally {
      decoder.finishAndReleaseAll();
    }
  }

  private int[] written() {
    byte[] wire = writtenBytes();
    int[] unsigned = new int[wire.length];
    for (int i = 0; i < wire.length; i++) {
      unsigned[i] = wire[i] & 0xff;
    }
    return unsigned;
  }

  private byte[] writtenBytes() {
    ByteBuf buf = channel.readOutbound();
    try {
      assertThat(channel.<Object>readOutbound()).as("one buffer per frame").isNull();
      return ByteBufUtil.getBytes(buf);
    } finally {
      buf.release();
    }
  }

  private static byte[] filled(int length, int value) {
    byte[] bytes = new byte[length];
    Arrays.fill(bytes, (byte) value);
    return bytes;
  }
}
