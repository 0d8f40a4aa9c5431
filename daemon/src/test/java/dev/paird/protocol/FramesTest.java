package dev.paird.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

final class FramesTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void encode_thenDecode_roundTripsEveryType() throws Exception {
    Random random = new Random(1);
    for (FrameType type : FrameType.values()) {
      byte[] body = new byte[type.bodyLength()];
      random.nextBytes(body);
      if (type == FrameType.ERROR) {
        body[0] = (byte) ErrorReason.REJECTED.code();
      }
      Frame frame = Frame.of(type, body);

      ByteBuffer wire = ByteBuffer.wrap(Frames.encode(frame));

      assertThat(Frames.decode(wire)).contains(frame);
      assertThat(wire.hasRemaining()).isFalse();
    }
  }

  @Test
  void encode_headerIsTypeThenBigEndianLength() {
    byte[] wire = Frames.encode(Frame.error(ErrorReason.BUSY));

    assertThat(HEX.formatHex(wire)).isEqualTo("7f000104");
  }

  @Test
  void decode_truncatedFrame_waitsForMoreWithoutConsuming() throws Exception {
    byte[] wire = Frames.encode(Frame.of(FrameType.HMAC_REQUEST, new byte[32]));
    for (int length = 0; length < wire.length; length++) {
      ByteBuffer partial = ByteBuffer.wrap(wire, 0, length);

      assertThat(Frames.decode(partial)).isEmpty();
      assertThat(partial.position()).isZero();
    }
  }

  @Test
  void decode_twoFramesInOneBuffer_yieldsThemInOrder() throws Exception {
    Frame first = Frame.empty(FrameType.PING);
    Frame second = Frame.error(ErrorReason.TIMEOUT);
    ByteBuffer wire = ByteBuffer.allocate(64);
    wire.put(Frames.encode(first)).put(Frames.encode(second)).flip();

    assertThat(Frames.decode(wire)).contains(first);
    assertThat(Frames.decode(wire)).contains(second);
    assertThat(Frames.decode(wire)).isEmpty();
  }

  @Test
  void decode_oversizedBody_isRefusedFromTheHeaderAlone() {
    ByteBuffer header = ByteBuffer.wrap(HEX.parseHex("01ffff"));

    assertThatThrownBy(() -> Frames.decode(header))
        .isInstanceOf(MalformedFrameException.class)
        .hasMessageContaining("65535 bytes exceeds the maximum of 256");
  }

  @Test
  void decode_lengthOtherThanTheType_isRefused() {
    assertThatThrownBy(() -> Frames.decode(ByteBuffer.wrap(HEX.parseHex("010010"))))
        .isInstanceOf(MalformedFrameException.class)
        .hasMessageContaining("HMAC_REQUEST frame must have 32 body bytes, not 16");
  }

  @Test
  void decode_unknownType_isRefused() {
    assertThatThrownBy(() -> Frames.decode(ByteBuffer.wrap(HEX.parseHex("160301"))))
        .isInstanceOf(MalformedFrameException.class)
        .hasMessageContaining("unknown frame type 0x16");
  }

  @Test
  void decode_errorWithUnknownReason_isStillAnError() throws Exception {
    Optional<Frame> frame = Frames.decode(ByteBuffer.wrap(HEX.parseHex("7f000199")));

    assertThat(frame).isPresent();
    assertThat(frame.get().type()).isEqualTo(FrameType.ERROR);
    assertThat(frame.get().errorReason()).isEmpty();
  }

  @Test
  void decode_randomBytes_givesOnlyFramesThatReencodeToTheBytesConsumed() {
    Random random = new Random(7);
    int frames = 0;
    for (int i = 0; i < 20000; i++) {
      byte[] junk = new byte[random.nextInt(80)];
      random.nextBytes(junk);
      if (i % 2 == 0 && junk.length >= 3) {
        junk[0] = 0x21; // a PING header now and then, so that some frames do decode
        junk[1] = 0;
        junk[2] = 0;
      }
      ByteBuffer in = ByteBuffer.wrap(junk);
      try {
        for (int start = in.position(); ; start = in.position()) {
          Optional<Frame> frame = Frames.decode(in);
          if (frame.isEmpty()) {
            assertThat(in.position()).as("an incomplete frame consumes nothing").isEqualTo(start);
            break;
          }
          frames++;
          assertThat(Frames.encode(frame.get()))
              .isEqualTo(Arrays.copyOfRange(junk, start, in.position()));
        }
      } catch (MalformedFrameException expected) {
        // the only failure allowed
      }
    }
    assertThat(frames).isPositive();
  }

  @Test
  void toString_neverShowsTheBody() {
    byte[] body = HEX.parseHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");

    assertThat(Frame.of(FrameType.HMAC_REQUEST, body).toString())
        .isEqualTo("Frame[HMAC_REQUEST, 32 bytes]");
  }
}
