package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/**
 * The CPU tests run under the engine the {@code ukemu.jit} properties choose (the build runs them
 * once with the interpreter and once with the JIT forced hot); this checks that the choice
 * reaches the vCPUs the tests build, and says which engine ran.
 */
class EngineSelectionTest {
    @Test
    void rigsRunTheEngineTheSystemPropertiesChoose() {
        JitConfig wanted = JitConfig.fromSystemProperties();
        try (CpuTestRig rig = new CpuTestRig()) {
            Jit jit = rig.cpu.code.jit();
            if (!wanted.enabled()) {
                assertNull(jit);
                System.out.println("CPU tests engine: interpreter");
            } else {
                assertEquals(wanted, jit.config());
                System.out.printf("CPU tests engine: JIT, threshold %d, %s compilation%n", wanted.threshold(),
                        wanted.synchronous() ? "synchronous" : "background");
            }
            // And the engine actually runs code: mov eax, 5 ; add eax, eax ; hlt
            rig.code(0xB8, 5, 0, 0, 0, 0x01, 0xC0).run();
            assertEquals(10, rig.cpu.r[Cpu.RAX]);
        }
    }
}
