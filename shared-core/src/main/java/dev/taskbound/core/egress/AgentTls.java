package dev.taskbound.core.egress;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ReferenceCounted;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * The server side of TLS that the agent meets on one inspected host: the session CA's leaf for it,
 * TLS 1.3 or 1.2, ALPN http/1.1 only. Its engine is BoringSSL's (netty-tcnative, through
 * netty-handler's {@code SslContext}; none of Netty's pipeline) where the native library loads:
 * the handshake's X25519 and ECDSA and the records' AES-GCM run several times faster there than in
 * the JDK, which is what the inspected path costs over an opaque tunnel. Elsewhere (another
 * platform, or {@code -Dtaskbound.inspect.tls=jdk}) it is the JDK's {@link SSLEngine}; both speak
 * the same protocols with the same leaf. Thread-safe; {@link #close()} frees the native context.
 */
final class AgentTls implements AutoCloseable {
  /** {@code -Dtaskbound.inspect.tls=jdk}: the JDK's engine even where BoringSSL loads. */
  static final String PROVIDER_PROPERTY = "taskbound.inspect.tls";
  private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private final SslContext boring;
  private final SSLContext jdk;

  private AgentTls(SslContext boring, SSLContext jdk) {
    this.boring = boring;
    this.jdk = jdk;
  }

  /**
   * The agent-side TLS for a leaf: BoringSSL's when {@link #nativeAvailable()}, else {@code jdk}.
   *
   * @param jdk the JDK context presenting the same leaf (the fallback)
   */
  static AgentTls of(PrivateKey key, X509Certificate leaf, X509Certificate ca, SSLContext jdk) {
    if (!nativeAvailable()) {
      return jdkOnly(jdk);
    }
    try {
      SslContext boring = SslContextBuilder.forServer(key, leaf, ca)
          .sslProvider(SslProvider.OPENSSL_REFCNT)
          .protocols(PROTOCOLS)
          .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
              ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
              ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "http/1.1"))
          .build();
      return new AgentTls(boring, jdk);
    } catch (SSLException | RuntimeException e) {
      return jdkOnly(jdk); // the same leaf through the JDK: slower, never weaker
    }
  }

  /** The JDK's engine for {@code jdk}'s leaf, whatever loads (the fallback, and its tests). */
  static AgentTls jdkOnly(SSLContext jdk) {
    return new AgentTls(null, jdk);
  }

  /** Whether BoringSSL loaded and was not turned off with {@value #PROVIDER_PROPERTY}=jdk. */
  static boolean nativeAvailable() {
    return Native.AVAILABLE;
  }

  /** Whether this host's engines are BoringSSL's. */
  boolean isNative() {
    return boring != null;
  }

  /** A new server-mode engine; give it back with {@link #release(SSLEngine)}. */
  SSLEngine newEngine() {
    if (boring != null) {
      return boring.newEngine(ByteBufAllocator.DEFAULT);
    }
    SSLEngine engine = jdk.createSSLEngine();
    engine.setUseClientMode(false);
    SSLParameters p = engine.getSSLParameters();
    p.setProtocols(PROTOCOLS);
    p.setApplicationProtocols(new String[] {"http/1.1"});
    engine.setSSLParameters(p);
    return engine;
  }

  /** Frees a native engine's memory at once (a JDK engine has none to free). Idempotent per engine. */
  static void release(SSLEngine engine) {
    if (engine instanceof ReferenceCounted rc && rc.refCnt() > 0) {
      ReferenceCountUtil.safeRelease(rc);
    }
  }

  @Override
  public void close() {
    if (boring instanceof ReferenceCounted rc && rc.refCnt() > 0) {
      ReferenceCountUtil.safeRelease(rc);
    }
  }

  /** Loaded on first use only: a session that inspects nothing never loads the native library. */
  private static final class Native {
    static final boolean AVAILABLE = !"jdk".equals(System.getProperty(PROVIDER_PROPERTY)) && loads();

    private static boolean loads() {
      try {
        return OpenSsl.isAvailable() && OpenSsl.isCipherSuiteAvailable("TLS_AES_128_GCM_SHA256");
      } catch (LinkageError | RuntimeException e) {
        return false;
      }
    }
  }
}
