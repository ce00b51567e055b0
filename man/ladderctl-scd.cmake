# Writes ladderctl.1.scd: the hand-written page with @COMMANDS@ replaced by the
# COMMANDS section ladderctl prints from its table (`ladderctl help --scdoc`).
#   cmake -DLADDERCTL=... -DIN=... -DOUT=... -P ladderctl-scd.cmake
execute_process(COMMAND ${LADDERCTL} help --scdoc OUTPUT_VARIABLE commands
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ladderctl help --scdoc failed: ${rc}")
endif()
file(READ ${IN} page)
string(REPLACE "@COMMANDS@" "${commands}" page "${page}")
file(WRITE ${OUT} "${page}")
