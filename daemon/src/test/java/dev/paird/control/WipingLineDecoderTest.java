package dev.paird.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WipingLineDecoderTest {
  private static final int MAX = 64;
  private static final String SECRET = "\"key\":\"7K3P-W9QX-4TRM-8HVB\"";

  /** Hands out heap buffers and remembers their arrays, which outlive the buffers' release. */
  private static final class RecordingAllocator extends AbstractByteBufAllocator {
    final List<byte[]> arrays = new ArrayList<>();

    RecordingAllocator() {
      super(false);
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
      return newHeapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
      ByteBuf buffer = new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
      arrays.add(buffer.array());
      return buffer;
    }

    @Override
    public boolean isDirectBufferPooled() {
      return false;
    }
  }

  /** What ControlHandler does with a line: reads it, zeroes it, lets it go. */
  private static final class Lines extends ChannelInboundHandlerAdapter {
    final List<String> lines = new ArrayList<>();
    int tooLong;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf line = (ByteBuf) msg;
      lines.add(line.toString(StandardCharsets.ISO_8859_1));
      line.setZero(line.readerIndex(), line.readableBytes());
      line.release();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      assertThat(cause).isInstanceOf(TooLongFrameException.class);
      tooLong++;
    }
  }

  private final RecordingAllocator allocator = new RecordingAllocator();
  private final List<byte[]> reads = new ArrayList<>();
  private final Lines received = new Lines();

  private EmbeddedChannel channel(ChannelHandler decoder) throws Exception {
    EmbeddedChannel channel = new EmbeddedChannel(false, false);
    channel.config().setAllocator(allocator);
    channel.pipeline().addLast(decoder, received);
    channel.register();
    return channel;
  }

  /** Delivers {@code text} as one read, from a buffer whose array the test keeps. */
  private void read(EmbeddedChannel channel, String text) {
    byte[] array = text.getBytes(StandardCharsets.ISO_8859_1);
    reads.add(array);
    channel.writeInbound(Unpooled.wrappedBuffer(array));
  }

  private void assertNothingLeft() {
    for (byte[] array : reads) {
      assertThat(array).as("a read's bytes").containsOnly(0);
    }
    for (byte[] array : allocator.arrays) {
      assertThat(array).as("a buffer the decoder took from the allocator").containsOnly(0);
    }
  }

  @Test
  void aLineInManyReads_isHandedOnWhole_andNoBufferKeepsItsBytes() throws Exception {
    EmbeddedChannel channel = channel(new WipingLineDecoder(MAX));
    String line = "{" + SECRET + "}";

    read(channel, line.substring(0, 3));
    read(channel, line.substring(3, 11));
    read(channel, line.substring(11) + "\r");
    read(channel, "\n{\"a\":1}\n{\"b\"");
    read(channel, ":2}\r\n");
    channel.finishAndReleaseAll();

    assertThat(received.lines).containsExactly(line, "{\"a\":1}", "{\"b\":2}");
    assertThat(allocator.arrays).as("the decoder did gather the pieces").isNotEmpty();
    assertNothingLeft();
  }

  @Test
  void anUnfinishedLine_isZeroedWhenTheConnectionCloses() throws Exception {
    EmbeddedChannel channel = channel(new WipingLineDecoder(MAX));

    read(channel, "{" + SECRET);
    channel.close();

    assertThat(received.lines).isEmpty();
    assertNothingLeft();
  }

  @Test
  void aLineTooLong_isReportedAsSoonAsItIs_droppedToItsEnd_andTheNextLineIsWhole()
      throws Exception {
    EmbeddedChannel channel = channel(new WipingLineDecoder(MAX));

    read(channel, SECRET + SECRET + SECRET);
    assertThat(received.tooLong).as("reported before its end has come").isEqualTo(1);
    read(channel, SECRET + "\n{}");
    read(channel, "\n");
    channel.finishAndReleaseAll();

    assertThat(received.tooLong).isEqualTo(1);
    assertThat(received.lines).containsExactly("{}");
    assertNothingLeft();
  }

  @Test
  void theLongestLine_fitsWithEitherEnding_andOneByteMoreDoesNot() throws Exception {
    EmbeddedChannel channel = channel(new WipingLineDecoder(MAX));
    String longest = "x".repeat(MAX);

    read(channel, longest + "\n" + longest + "\r\n" + longest);
    read(channel, "\r\n" + longest + "y\n" + longest + "y\r\n");
    channel.finishAndReleaseAll();

    assertThat(received.lines).containsExactly(longest, longest, longest);
    assertThat(received.tooLong).isEqualTo(2);
    assertNothingLeft();
  }

  /** Whatever the lines and however they are cut into reads, the same lines as Netty's decoder. */
  @Test
  void linesAndRefusals_areNettysLineDecodersWithFailFast_forRandomCuts() {
    Random random = new Random(20261130L);
    for (int round = 0; round < 500; round++) {
      StringBuilder text = new StringBuilder();
      for (int lines = random.nextInt(6); lines >= 0; lines--) {
        int length = random.nextInt(4) == 0 ? MAX - 2 + random.nextInt(5) : random.nextInt(MAX);
        for (int i = 0; i < length; i++) {
          text.append((char) ('a' + random.nextInt(26)));
        }
        text.append(random.nextBoolean() ? "\n" : "\r\n");
      }
      List<Integer> cuts = new ArrayList<>();
      for (int at = 0; at < text.length(); at += 1 + random.nextInt(MAX / 2)) {
        cuts.add(at);
      }
      cuts.add(text.length());

      Lines ours = feed(new WipingLineDecoder(MAX), text, cuts);
      Lines netty = feed(new LineBasedFrameDecoder(MAX, true, true), text, cuts);

      assertThat(ours.lines).as("lines of %s", cuts).isEqualTo(netty.lines);
      assertThat(ours.tooLong).as("refusals of %s", cuts).isEqualTo(netty.tooLong);
    }
  }

  private static Lines feed(ChannelHandler decoder, CharSequence text, List<Integer> cuts) {
    Lines lines = new Lines();
    EmbeddedChannel channel = new EmbeddedChannel(decoder, lines);
    for (int i = 1; i < cuts.size(); i++) {
      channel.writeInbound(
          Unpooled.copiedBuffer(
              text.subSequence(cuts.get(i - 1), cuts.get(i)), StandardCharsets.ISO_8859_1));
    }
    channel.finishAndReleaseAll();
    return lines;
  }
}
