package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.protocol.ErrorReason;
import dev.paird.protocol.Frame;
import dev.paird.protocol.FrameType;
import dev.paird.protocol.Frames;
import dev.paird.protocol.PairingProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

final class FrameDecoderTest {
  private static final Frame SHARE = Frame.of(FrameType.SPAKE2_CLIENT_SHARE, filled(66, 0x5a));
  private static final Frame PING = Frame.empty(FrameType.PING);
  private static final Frame ERROR = Frame.error(ErrorReason.TIMEOUT);

  private final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());

  @AfterEach
  void release() {
    channel.finishAndReleaseAll();
  }

  @Test
  void decode_wholeFrameInOneRead_yieldsIt() {
    channel.writeInbound(bytes(Frames.encode(SHARE)));

    assertThat(frames()).containsExactly(SHARE);
  }

  @Test
  void decode_frameSplitByteByByte_yieldsItOnlyWithTheLastByte() {
    byte[] wire = Frames.encode(SHARE);

    for (int i = 0; i < wire.length - 1; i++) {
      channel.writeInbound(bytes(new byte[] {wire[i]}));
      assertThat(channel.<Object>readInbound())
          .as("after %d of %d bytes", i + 1, wire.length)
          .isNull();
    }
    channel.writeInbound(bytes(new byte[] {wire[wire.length - 1]}));

    assertThat(frames()).containsExactly(SHARE);
  }

  @Test
  void decode_framesSplitAcrossReadsAtOddPlaces_yieldsEachOnce() {
    byte[] wire = concat(Frames.encode(PING), Frames.encode(SHARE), Frames.encode(ERROR));

    channel.writeInbound(bytes(Arrays.copyOfRange(wire, 0, 2)));
    channel.writeInbound(bytes(Arrays.copyOfRange(wire, 2, 40)));
    channel.writeInbound(bytes(Arrays.copyOfRange(wire, 40, wire.length)));

    assertThat(frames()).containsExactly(PING, SHARE, ERROR);
  }

  @Test
  void decode_framesCoalescedInOneRead_yieldsEachInOrderAndKeepsTheRest() {
    byte[] next = Frames.encode(PING);
    byte[] wire =
        concat(
            Frames.encode(SHARE),
            Frames.encode(ERROR),
            Frames.encode(PING),
            Arrays.copyOf(next, 1));

    channel.writeInbound(bytes(wire));
    assertThat(frames()).containsExactly(SHARE, ERROR, PING);

    channel.writeInbound(bytes(Arrays.copyOfRange(next, 1, next.length)));
    assertThat(frames()).containsExactly(PING);
  }

  @Test
  void decode_headerAnnouncingMaximumLength_failsAsSoonAsTheHeaderIsComplete() {
    channel.writeInbound(bytes(new byte[] {(byte) FrameType.HMAC_REQUEST.code(), (byte) 0xff}));
    assertThat(channel.<Object>readInbound()).isNull();

    // The third byte completes a header announcing 65535 body bytes: refused before any body.
    assertThatThrownBy(() -> channel.writeInbound(bytes(new byte[] {(byte) 0xff})))
        .isInstanceOf(FrameDecoder.MalformedFrame.class)
        .hasMessageContaining("65535");
  }

  @Test
  void decode_lengthOneOverTheMaximum_failsOnTheHeader() {
    int length = PairingProtocol.MAX_BODY_BYTES + 1;
    byte[] tooLong = header(FrameType.HMAC_REQUEST.code(), length);

    assertThatThrownBy(() -> channel.writeInbound(bytes(tooLong)))
        .isInstanceOf(FrameDecoder.MalformedFrame.class)
        .hasMessageContaining(String.valueOf(length));
  }

  @Test
  void decode_unknownType_failsOnTheHeader() {
    assertThatThrownBy(() -> channel.writeInbound(bytes(header(0x55, 0))))
        .isInstanceOf(FrameDecoder.MalformedFrame.class)
        .hasMessageContaining("0x55");
  }

  @Test
  void decode_knownTypeWithAnotherTypesLength_failsOnTheHeader() {
    // 32 bytes is a legal length, but not for a PING.
    assertThatThrownBy(() -> channel.writeInbound(bytes(header(FrameType.PING.code(), 32))))
        .isInstanceOf(FrameDecoder.MalformedFrame.class)
        .hasMessageContaining("PING");
  }

  @Test
  void decode_goodFrameThenMalformedInOneRead_deliversTheGoodOneFirst() {
    byte[] wire = concat(Frames.encode(PING), header(0x55, 0));

    assertThatThrownBy(() -> channel.writeInbound(bytes(wire)))
        .isInstanceOf(FrameDecoder.MalformedFrame.class);
    assertThat(frames()).containsExactly(PING);
  }

  @Test
  void decode_afterMalformedFrame_decodesNothingMore() {
    byte[] wire = concat(header(0x55, 0), Frames.encode(PING));
    assertThatThrownBy(() -> channel.writeInbound(bytes(wire)))
        .isInstanceOf(FrameDecoder.MalformedFrame.class);

    channel.writeInbound(bytes(Frames.encode(PING)));
    channel.writeInbound(bytes(Frames.encode(SHARE)));

    assertThat(frames()).isEmpty();
  }

  private List<Frame> frames() {
    List<Frame> frames = new ArrayList<>();
    for (Object message; (message = channel.readInbound()) != null; ) {
      frames.add((Frame) message);
    }
    return frames;
  }

  private static ByteBuf bytes(byte[] bytes) {
    return Unpooled.wrappedBuffer(bytes);
  }

  private static byte[] header(int type, int length) {
    return new byte[] {(byte) type, (byte) (length >> 8), (byte) length};
  }

  private static byte[] filled(int length, int value) {
    byte[] bytes = new byte[length];
    Arrays.fill(bytes, (byte) value);
    return bytes;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
