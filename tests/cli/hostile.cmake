# Hostile inputs (issue 18): lying .npy headers, paths that are directories, FIFOs or link loops,
# absurd numbers and a plan of millions of points. Each is one line naming the file or field and
# the fix, the documented exit code, no output left, and no hang (TIMEOUT) or crash.
set(H "${CLI_OUT}/hostile")
set(F4 "${DATA}/f4_2x3.npy")
add_test(NAME cli.hostile_inputs_setup
         COMMAND "${CMAKE_CURRENT_SOURCE_DIR}/make_hostile_inputs.sh" "${CLI_OUT}")
set_tests_properties(cli.hostile_inputs_setup PROPERTIES LABELS cli FIXTURES_SETUP hostile_inputs)
set(HOSTILE_TESTS "")
function(hostile name rc pattern)
  infbench_cli_error(hostile_${name} ${rc} "${pattern}" ${ARGN})
  set_tests_properties(cli.hostile_${name} PROPERTIES TIMEOUT 30 FIXTURES_REQUIRED hostile_inputs)
endfunction()
# predict ARGS...: predict on the fake backend writing the output the test checks is not left.
function(hostile_predict name rc pattern)
  hostile(${name} ${rc} "${pattern}" predict --model m --framework fake ${ARGN}
          --output ${CLI_OUT}/hostile_${name}.npy)
endfunction()

# .npy headers that lie: refused before anything is allocated from them.
hostile_predict(npy_claims_too_much 2
  "claims_too_much.npy: not a valid .npy file: truncated data: shape \\[1000000000,1000\\] needs 4000000000000 bytes, the file holds 16 after the header"
  --input ${H}/claims_too_much.npy)
hostile_predict(npy_overflow 2 "overflow.npy: not a valid .npy file: shape .* has more elements than 64-bit sizes can count"
  --input ${H}/overflow.npy)
hostile_predict(npy_negative_dim 2 "negative.npy: not a valid .npy file: bad shape \\(-1, 4\\): dimensions must be integers >= 0"
  --input ${H}/negative.npy)
hostile_predict(npy_garbage_dim 2 "garbage.npy: not a valid .npy file: bad shape \\(4, x\\)"
  --input ${H}/garbage.npy)
hostile_predict(npy_header_past_end 2 "header_past_end.npy: not a valid .npy file: truncated header: its length 60000 runs past the end of the 100-byte file"
  --input ${H}/header_past_end.npy)
# Paths that are not files: a FIFO must not block (TIMEOUT 30 fails a hang).
hostile_predict(npy_directory 2 "a_directory.npy: is a directory; give the .npy file itself"
  --input ${H}/a_directory.npy)
hostile_predict(npy_fifo 2 "fifo.npy: is a FIFO \\(named pipe; reading it would wait for a writer\\); give the .npy file itself"
  --input ${H}/fifo.npy)
hostile_predict(npy_link_loop 2 "loop_a.npy: symbolic link loop; point it at the .npy file itself"
  --input ${H}/loop_a.npy)
# Model paths (the ensemble framework reads a spec file; always built).
foreach(kind directory:a_directory.onnx:is.a.directory fifo:fifo.yaml:is.a.FIFO loop:loop.onnx:symbolic.link.loop)
  string(REPLACE ":" ";" parts "${kind}")
  list(GET parts 0 what)
  list(GET parts 1 file)
  list(GET parts 2 message)
  hostile(model_${what} 2 "${file}: ${message}"
    predict --model ${H}/${file} --framework ensemble --input ${F4} --output ${CLI_OUT}/hostile_model_${what}.npy)
endforeach()
if(INFBENCH_WITH_ONNXRUNTIME)
  hostile(onnx_model_directory 2 "a_directory.onnx: is a directory; give the model file itself"
    predict --model ${H}/a_directory.onnx --framework onnxruntime --input ${X} --output ${CLI_OUT}/hostile_onnx_model_directory.npy)
  hostile(onnx_model_fifo 2 "fifo.onnx: is a FIFO"
    predict --model ${H}/fifo.onnx --framework onnxruntime --input ${X} --output ${CLI_OUT}/hostile_onnx_model_fifo.npy)
endif()

# Absurd numbers: bounded, the message names the flag and the valid range.
function(hostile_bench name pattern)
  hostile(${name} 2 "${pattern}" bench --model m --framework fake --json ${CLI_OUT}/hostile_${name}.npy ${ARGN})
endfunction()
hostile_bench(threads_100000 "threads 100000 is out of range; valid: 0 \\(one per CPU\\) to [0-9]+ \\(4 x this machine's logical CPUs, 16..1024\\)"
  --threads 100000)
hostile_bench(batch_huge "batch_size 10000000 is above the limit; valid: 0 to 65536" --batch-size 10000000)
hostile_bench(batch_negative "batch_size -3 must be >= 1" --batch-size -3)
hostile_bench(duration_1e12 "--min-duration-s 1000000000000 is out of range \\(plan key measure.min_duration_s\\); valid: 0 to 86400"
  --min-duration-s 1e12)
hostile_bench(duration_negative "--min-duration-s -5 is out of range" --min-duration-s -5)
hostile_bench(duration_nan "--min-duration-s nan is out of range" --min-duration-s nan)
hostile_bench(max_duration_zero "--max-duration-s 0 is out of range \\(plan key measure.max_duration_s\\); valid: 0.001 to 86400"
  --max-duration-s 0)
hostile_bench(warmup_huge "--warmup-s 1000000000 is out of range \\(plan key measure.warmup_s\\); valid: 0 to 3600" --warmup-s 1e9)
hostile_bench(warmup_queries_negative "--warmup-queries -1 is out of range" --warmup-queries -1)
hostile_bench(repeat_huge "--repeat 100000 is out of range \\(plan key measure.repeat\\); valid: 1 to 1000" --repeat 100000)
hostile_bench(repeat_zero "--repeat 0 is out of range" --repeat 0)

# Plans: refused before they are expanded or run.
hostile(plan_million_points 2
  "million_points.yaml:1: max_points: the plan expands to 2000000 points \\(before exclude rules\\), above the limit of 20000"
  sweep ${H}/million_points.yaml --dry-run)
hostile(plan_fifo 2 "fifo.yaml: is a FIFO" sweep ${H}/fifo.yaml --dry-run)
if(INFBENCH_WITH_ONNXRUNTIME)
  hostile(plan_name_too_long 2 "long_name.yaml:2: models: 'a+' has no onnxruntime file \\(onnx\\) in "
    sweep ${H}/long_name.yaml --dry-run)
endif()
hostile(plan_repeat_huge 2 "measure: --repeat 5000 is out of range" sweep ${H}/million_points.yaml --dry-run
  --set max_points=0 --set measure.repeat=5000)

# A sweep point whose memory runs away is killed at the plan's memory_limit_mib, recorded as out of
# memory with its phase, and the sweep goes on.
add_test(NAME cli.sweep_memory_limit
         COMMAND "${CMAKE_CURRENT_SOURCE_DIR}/sweep_memory_limit.sh" $<TARGET_FILE:infbench> "${CLI_OUT}")
# Label cli only: the normal build (the RSS a user's sweep has) runs it too, not just ASan's.
set_tests_properties(cli.sweep_memory_limit PROPERTIES LABELS cli TIMEOUT 120)

# A number that does not fit its flag's type is a usage error: exit 2 like every invalid argument.
hostile_bench(batch_not_an_int "Could not convert: --batch-size = 99999999999" --batch-size 99999999999)
hostile_bench(threads_not_a_number "Could not convert: --threads = abc" --threads abc)
