package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.policy.SandboxBackend;
import dev.taskbound.core.sandbox.SandboxException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CooperativeExposureTest {
  @Test
  void eachHostCredentialVariableRefusesTheProxyBackendNamingItButNotItsValue() {
    for (String name : CooperativeExposure.HOST_CREDENTIAL_VARIABLES) {
      assertThatThrownBy(() -> CooperativeExposure.check(SandboxBackend.PROXY, Map.of(name, "s3cr3t-value")))
          .isInstanceOf(SandboxException.class)
          .hasMessageContaining(name + " is set there")
          .hasMessageNotContaining("s3cr3t-value");
    }
  }

  @Test
  void theKernelBackendsAndAnEmptyOrUnrelatedEnvironmentAreNotRefused() {
    Map<String, String> credentials = Map.of("TASKBOUND_VAULT_JWT", "jwt", "TASKBOUND_GITHUB_APP_KEY", "pem");
    assertThatCode(() -> {
      CooperativeExposure.check(SandboxBackend.NETNS, credentials);
      CooperativeExposure.check(SandboxBackend.CONTAINER, credentials);
      CooperativeExposure.check(SandboxBackend.PROXY, Map.of("TASKBOUND_VAULT_JWT", "", "TASKBOUND_GITHUB_APP_ID", "1",
          "TASKBOUND_VAULT_ADDR", "http://127.0.0.1:9"));
    }).doesNotThrowAnyException();
  }
}
